package dev.ember.server;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM against the packaged app ({@code ./ember serve}, a real process): in-flight streams finish,
 * new requests get 503 in OpenAI's error shape with Retry-After, streams still running at the drain
 * deadline end with an error event and [DONE], and the process exits 0.
 *
 * <p>Needs {@code target/quarkus-app} built from the current classes ({@code ./mvnw package}); without it the
 * test is skipped, unless {@code -Dember.require-package=true} (as .ci/run runs it after {@code verify}).
 */
class DrainSigtermTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String MODEL = "../shared/fixtures/models/stories260K-f32.gguf";

    @Test
    void inFlightStreamsFinishNewRequestsGet503AndExitIsZero() throws Exception {
        try (Server s = Server.start("30s")) {
            List<Stream> streams = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) streams.add(Stream.open(s.port, 1, 450, started));
            assertTrue(started.await(60, TimeUnit.SECONDS), "the 4 streams started");
            for (Stream st : streams) assertFalse(st.done(), "a stream was still running when SIGTERM was sent");

            s.process.destroy(); // SIGTERM
            Response refused = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (refused == null && System.nanoTime() < until && !streams.stream().allMatch(Stream::done)) {
                Response r = Response.post(s.port, "{\"prompt\":\"Once\",\"max_tokens\":1}");
                if (r != null && r.status == 503) refused = r;
                else Thread.sleep(5);
            }
            assertNotNull(refused, "a request sent while the streams drained was refused");
            assertTrue(refused.body.contains("\"code\":\"shutting_down\"") && refused.body.startsWith("{\"error\":{"), refused.body);
            assertEquals("2", refused.retryAfter);

            for (Stream st : streams) {
                st.thread.join(60_000);
                String out = st.text();
                assertTrue(out.endsWith("data: [DONE]\n\n"), "stream ends with [DONE]: ..." + tail(out));
                assertTrue(out.contains("\"finish_reason\":\"length\""), "stream ran to max_tokens: ..." + tail(out));
                assertFalse(out.contains("\"error\""), "no error event: ..." + tail(out));
            }
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the server exits");
            assertEquals(0, s.process.exitValue(), "exit code after SIGTERM; log:\n" + s.log());
            assertTrue(s.log().contains("drained: no request in flight"), s.log());
        }
    }

    @Test
    void streamsStillRunningAtTheDeadlineEndWithAnErrorEvent() throws Exception {
        try (Server s = Server.start("PT0.3S")) {
            List<Stream> streams = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) streams.add(Stream.open(s.port, 3, 480, started));
            assertTrue(started.await(60, TimeUnit.SECONDS), "the 4 streams started");

            s.process.destroy(); // SIGTERM
            int ended = 0;
            for (Stream st : streams) {
                st.thread.join(60_000);
                String out = st.text();
                assertTrue(out.endsWith("data: [DONE]\n\n"), "stream ends with [DONE]: ..." + tail(out));
                if (out.contains("\"code\":\"shutting_down\"")) ended++;
            }
            assertTrue(ended > 0, "at least one stream was still running at the 0.3 s deadline and got the error event");
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the server exits");
            assertEquals(0, s.process.exitValue(), "exit code after SIGTERM; log:\n" + s.log());
            assertTrue(s.log().contains("drain timeout (PT0.3S) reached"), s.log());
        }
    }

    private static String tail(String s) {
        return s.substring(Math.max(0, s.length() - 300));
    }

    record Response(int status, String body, String retryAfter) {
        /** A POST /v1/completions; null when the connection is refused (the server is gone). */
        static Response post(int port, String json) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v1/completions").toURL().openConnection();
                c.setRequestMethod("POST");
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setConnectTimeout(2000);
                c.setReadTimeout(30_000);
                c.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
                int status = c.getResponseCode();
                InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
                String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return new Response(status, body, c.getHeaderField("Retry-After"));
            } catch (IOException e) {
                return null;
            }
        }
    }

    static final class Stream {
        final StringBuilder out = new StringBuilder();
        final Thread thread;
        volatile boolean done;

        private Stream(int port, int n, int maxTokens, CountDownLatch started) {
            thread = new Thread(() -> {
                boolean first = true;
                try {
                    HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v1/completions").toURL().openConnection();
                    c.setRequestMethod("POST");
                    c.setDoOutput(true);
                    c.setRequestProperty("Content-Type", "application/json");
                    c.getOutputStream().write(("{\"prompt\":\"Once upon a time\",\"n\":" + n + ",\"max_tokens\":" + maxTokens
                            + ",\"ignore_eos\":true,\"stream\":true}").getBytes(StandardCharsets.UTF_8));
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            synchronized (out) {
                                out.append(line).append('\n');
                            }
                            if (first && line.startsWith("data:")) {
                                first = false;
                                started.countDown();
                            }
                        }
                    }
                } catch (IOException e) {
                    synchronized (out) {
                        out.append("IO: ").append(e);
                    }
                } finally {
                    done = true;
                    if (first) started.countDown();
                }
            }, "drain-test-stream");
            thread.start();
        }

        static Stream open(int port, int n, int maxTokens, CountDownLatch started) {
            return new Stream(port, n, maxTokens, started);
        }

        boolean done() {
            return done;
        }

        String text() {
            synchronized (out) {
                return out.toString();
            }
        }
    }

    static final class Server implements AutoCloseable {
        final Process process;
        final int port;
        final Path log;

        private Server(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Server start(String drainTimeout) throws Exception {
            boolean fresh = packagedMatchesClasses();
            if (Boolean.getBoolean("ember.require-package")) {
                assertTrue(fresh, "target/quarkus-app is missing or older than target/classes: run ./mvnw package -DskipTests");
            } else {
                Assumptions.assumeTrue(fresh, "needs the packaged app built from the current classes (./mvnw package -DskipTests)");
            }
            int port;
            try (ServerSocket ss = new ServerSocket(0)) {
                port = ss.getLocalPort();
            }
            Path log = Files.createTempFile("ember-drain-", ".log");
            ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("ember").toString(), "serve", "--model", MODEL, "--port", String.valueOf(port),
                    "--host", "127.0.0.1", "--ctx-size", "512", "--threads", "1", "--drain-timeout", drainTimeout)
                    .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            Server s = new Server(p, port, log);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < until) {
                assertTrue(p.isAlive(), "the server exited early; log:\n" + s.log());
                try {
                    HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
                    if (c.getResponseCode() == 200) return s;
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
            s.close();
            throw new AssertionError("the server did not become ready; log:\n" + s.log());
        }

        /** The packaged app jar holds the same dev/ember/server classes as target/classes (javac output is deterministic). */
        private static boolean packagedMatchesClasses() throws IOException {
            Path dir = ROOT.resolve("target/quarkus-app/app");
            Path classes = ROOT.resolve("target/classes");
            if (!Files.isDirectory(dir) || !Files.exists(ROOT.resolve("target/quarkus-app/quarkus-run.jar"))) return false;
            Path app;
            try (java.util.stream.Stream<Path> jars = Files.list(dir)) {
                app = jars.filter(j -> j.toString().endsWith(".jar")).findFirst().orElse(null);
            }
            if (app == null) return false;
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(app.toFile());
                 java.util.stream.Stream<Path> files = Files.walk(classes.resolve("dev/ember/server"))) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    var e = zip.getEntry(classes.relativize(f).toString().replace('\\', '/'));
                    if (e == null) return false;
                    try (InputStream in = zip.getInputStream(e)) {
                        if (!java.util.Arrays.equals(in.readAllBytes(), Files.readAllBytes(f))) return false;
                    }
                }
            }
            return true;
        }

        String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(log);
        }
    }
}
