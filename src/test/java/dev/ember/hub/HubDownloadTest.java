package dev.ember.hub;

import dev.ember.hub.HubException.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads from {@link TestHub}: checksums, cache hits, redirects, resume, errors, offline mode. */
class HubDownloadTest {
    static final String REF = "hf://test-org/tiny-model/model-Q4_0.gguf";
    static final byte[] BYTES = random(3 * 1024 * 1024 + 12345, 42);

    @TempDir
    Path cache;
    TestHub hub;
    ByteArrayOutputStream logBytes;
    HubSettings settings;

    @BeforeEach
    void start() throws IOException {
        hub = new TestHub();
        hub.put("test-org/tiny-model", "main", "model-Q4_0.gguf", BYTES);
        logBytes = new ByteArrayOutputStream();
        settings = HubSettings.of(java.util.Optional.of(hub.url().toString()), java.util.Optional.of(cache.toString()), false, k -> null)
                .withLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8), false)
                .withTimeout(Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    Path target() {
        return cache.resolve("test-org--tiny-model").resolve("main").resolve("model-Q4_0.gguf");
    }

    Path partial() {
        return target().resolveSibling("model-Q4_0.gguf.incomplete");
    }

    @Test
    void downloadsVerifiesAndThenServesFromCacheWithoutRequests() throws IOException {
        Path p = ModelLocator.resolve(REF, settings.withToken("hf_secret"));
        assertEquals(target().toAbsolutePath(), p);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        assertFalse(Files.exists(partial()), "no .incomplete left");
        assertFalse(Files.exists(p.resolveSibling("model-Q4_0.gguf.lock")), "no .lock left");
        assertTrue(log().contains("sha256 verified"), log());

        // The hub redirected to the CDN; the token went to the hub only.
        List<TestHub.Request> hubRequests = hub.requests("hub");
        List<TestHub.Request> cdnRequests = hub.requests("cdn");
        assertEquals(1, hubRequests.size());
        assertEquals(302, hubRequests.getFirst().status());
        assertEquals("/test-org/tiny-model/resolve/main/model-Q4_0.gguf", hubRequests.getFirst().path());
        assertEquals("Bearer hf_secret", hubRequests.getFirst().authorization());
        assertEquals(1, cdnRequests.size());
        assertNull(cdnRequests.getFirst().authorization(), "the token must not be sent to the CDN");
        assertEquals(BYTES.length, cdnRequests.getFirst().bodyBytes());

        int before = hub.requests().size();
        assertEquals(p, ModelLocator.resolve(REF, settings));
        assertEquals(before, hub.requests().size(), "a cached file is used without any request");
    }

    @Test
    void plainLogLinesWhenNoTerminal() {
        ModelLocator.resolve(REF, settings);
        String log = log();
        assertTrue(log.contains("ember: downloading model-Q4_0.gguf (3.0 MB)"), log);
        for (int pct = 10; pct <= 90; pct += 10) assertTrue(log.contains("model-Q4_0.gguf: " + pct + "% ("), pct + "% in " + log);
        assertTrue(log.contains("ember: downloaded model-Q4_0.gguf (3.0 MB in "), log);
    }

    @Test
    void fileServedByTheHubItselfIsVerifiedByItsEtag() throws IOException {
        hub.redirect = false;
        hub.sha = TestHub.Sha.ETAG;
        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        assertTrue(log().contains("sha256 verified"), log());
        assertEquals(0, hub.requests("cdn").size());
    }

    @Test
    void etagOnTheCdnResponseIsUsedWhenTheHubSendsNoLinkedEtag() throws IOException {
        hub.sha = TestHub.Sha.ETAG; // redirect without X-Linked-Etag; the final response's ETag is the sha256
        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        assertTrue(log().contains("sha256 verified"), log());
    }

    @Test
    void revisionAndSubfolderAreInTheUrlAndTheCachePath() throws IOException {
        byte[] other = random(1000, 7);
        hub.put("test-org/tiny-model", "refs/pr/1", "q4/model.gguf", other);
        Path p = ModelLocator.resolve("hf://test-org/tiny-model/q4/model.gguf@refs/pr/1", settings);
        assertEquals(cache.resolve("test-org--tiny-model/refs%2Fpr%2F1/q4/model.gguf").toAbsolutePath(), p);
        assertArrayEquals(other, Files.readAllBytes(p));
        assertEquals("/test-org/tiny-model/resolve/refs%2Fpr%2F1/q4/model.gguf", hub.requests("hub").getFirst().path());
    }

    @Test
    void resumesFromAPartialFileFetchingOnlyTheRest() throws IOException {
        int have = 1024 * 1024 + 123;
        Files.createDirectories(target().getParent());
        Files.write(partial(), Arrays.copyOf(BYTES, have));
        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        TestHub.Request cdn = hub.requests("cdn").getFirst();
        assertEquals("bytes=" + have + "-", cdn.range());
        assertEquals(206, cdn.status());
        assertEquals(BYTES.length - have, cdn.bodyBytes(), "only the missing bytes are served");
        assertEquals("bytes=" + have + "-", hub.requests("hub").getFirst().range(), "the Range header is kept across the redirect");
        assertTrue(log().contains("resuming at 1.0 MB"), log());
        assertTrue(log().contains("sha256 verified"), log());
    }

    @Test
    void stalledConnectionKeepsThePartialFileAndTheNextRunResumes() throws IOException {
        hub.cutAfter = 1_000_000; // then the server sends nothing more on that connection
        HubException e = assertThrows(HubException.class,
                () -> ModelLocator.resolve(REF, settings.withTimeout(Duration.ofSeconds(1))));
        assertEquals(Kind.NETWORK, e.kind());
        assertTrue(e.getMessage().contains("no data received for 1 s"), e.getMessage());
        assertTrue(e.getMessage().contains("run again to resume"), e.getMessage());
        assertFalse(Files.exists(target()));
        long have = Files.size(partial());
        assertTrue(have > 0 && have <= 1_000_000, "partial " + have);

        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        TestHub.Request second = hub.requests("cdn").getLast();
        assertEquals("bytes=" + have + "-", second.range());
        assertEquals(BYTES.length - have, second.bodyBytes());
    }

    @Test
    void serverIgnoringRangeRestartsFromTheBeginning() throws IOException {
        hub.honourRange = false;
        Files.createDirectories(target().getParent());
        Files.write(partial(), random(500_000, 99)); // not even a prefix of the file: must be discarded
        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        TestHub.Request cdn = hub.requests("cdn").getFirst();
        assertEquals(200, cdn.status());
        assertEquals(BYTES.length, cdn.bodyBytes());
        assertTrue(log().contains("does not resume downloads"), log());
    }

    @Test
    void completePartialFileAnsweredWith416IsVerifiedAndUsed() throws IOException {
        Files.createDirectories(target().getParent());
        Files.write(partial(), BYTES);
        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        assertEquals(416, hub.requests("cdn").getFirst().status());
        assertEquals(0, hub.bodyBytes());
    }

    @Test
    void checksumMismatchIsRefusedAndLeavesNoFile() throws IOException {
        hub.sha = TestHub.Sha.WRONG;
        HubException e = assertThrows(HubException.class, () -> ModelLocator.resolve(REF, settings));
        assertEquals(Kind.CHECKSUM, e.kind());
        assertTrue(e.getMessage().startsWith("checksum mismatch for " + REF), e.getMessage());
        assertTrue(e.getMessage().contains(TestHub.sha256(BYTES)), e.getMessage());
        assertTrue(e.getMessage().contains("deleted"), e.getMessage());
        assertFalse(Files.exists(target()));
        assertFalse(Files.exists(partial()));
        try (var s = Files.walk(cache)) {
            assertEquals(0, s.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".lock")).count());
        }
    }

    @Test
    void withoutAChecksumTheFileIsKeptAndTheLogSaysSo() throws IOException {
        hub.sha = TestHub.Sha.NONE;
        Path p = ModelLocator.resolve(REF, settings);
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        assertTrue(log().contains("the hub gave no sha256 for " + REF), log());
    }

    @Test
    void notFoundNamesFileRepoAndRevision() {
        HubException e = assertThrows(HubException.class,
                () -> ModelLocator.resolve("hf://test-org/tiny-model/missing.gguf@v2", settings));
        assertEquals(Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().startsWith("file 'missing.gguf' not found in repository test-org/tiny-model at revision 'v2'"),
                e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("test-org--tiny-model/v2/missing.gguf.incomplete")));
    }

    @Test
    void unauthorizedSaysToSetHfToken() {
        hub.requiredToken = "hf_right";
        HubException e = assertThrows(HubException.class, () -> ModelLocator.resolve(REF, settings));
        assertEquals(Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("set HF_TOKEN"), e.getMessage());
        assertTrue(e.getMessage().contains("test-org/tiny-model"), e.getMessage());

        HubException wrong = assertThrows(HubException.class, () -> ModelLocator.resolve(REF, settings.withToken("hf_wrong")));
        assertTrue(wrong.getMessage().contains("the token in HF_TOKEN is not allowed"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("hf_wrong"), "the token is never printed");

        assertTrue(Files.exists(ModelLocator.resolve(REF, settings.withToken("hf_right"))));
    }

    @Test
    void offlineWithoutCachedFileFailsClearlyWithoutRequests() {
        HubException e = assertThrows(HubException.class, () -> ModelLocator.resolve(REF, settings.withOffline(true)));
        assertEquals(Kind.OFFLINE, e.kind());
        assertTrue(e.getMessage().contains("not in the cache"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
        assertEquals(0, hub.requests().size());
    }

    @Test
    void offlineWithCachedFileUsesIt() throws IOException {
        Path p = ModelLocator.resolve(REF, settings);
        int before = hub.requests().size();
        hub.close(); // the hub is gone altogether
        assertEquals(p, ModelLocator.resolve(REF, settings.withOffline(true)));
        assertEquals(p, ModelLocator.resolve(REF, settings));
        assertArrayEquals(BYTES, Files.readAllBytes(p));
        assertEquals(before, hub.requests().size());
    }

    @Test
    void offlineModeFromTheEnvironment() {
        HubSettings s = HubSettings.of(java.util.Optional.of(hub.url().toString()), java.util.Optional.of(cache.toString()), false,
                k -> k.equals("HF_HUB_OFFLINE") ? "1" : null);
        assertTrue(s.offline());
        assertThrows(HubException.class, () -> ModelLocator.resolve(REF, s));
        assertEquals(0, hub.requests().size());
    }

    @Test
    void unreachableHubIsANetworkError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        HubException e = assertThrows(HubException.class,
                () -> ModelLocator.resolve(REF, settings.withHubUrl(URI.create("http://127.0.0.1:" + port))));
        assertEquals(Kind.NETWORK, e.kind());
        assertTrue(e.getMessage().startsWith("cannot download " + REF + ": "), e.getMessage());
    }

    @Test
    void malformedReferencesAreRefusedBeforeAnyRequest() {
        for (String bad : new String[] {"hf://owner", "hf://owner/repo", "hf://owner/repo/", "hf:///repo/f.gguf",
                "hf://owner//f.gguf", "hf://owner/repo/f.gguf@", "hf://owner/repo/../f.gguf", "hf://own er/repo/f.gguf",
                "hf://owner/re--po/f.gguf", "hf://owner/repo@v1/f.gguf@v2", "hf://owner/repo/f.gguf@a/../b"}) {
            HubException e = assertThrows(HubException.class, () -> ModelLocator.resolve(bad, settings), bad);
            assertEquals(Kind.BAD_REFERENCE, e.kind(), bad);
            assertTrue(e.getMessage().startsWith("malformed model reference '" + bad + "': "), e.getMessage());
            assertTrue(e.getMessage().contains("hf://OWNER/REPO/FILE"), e.getMessage());
        }
        assertEquals(0, hub.requests().size());
    }

    @Test
    void plainPathsAreNotTouched() {
        assertEquals(Path.of("models/x.gguf"), ModelLocator.resolve("models/x.gguf", settings));
        assertEquals(0, hub.requests().size());
    }

    @Test
    void concurrentResolvesDownloadOnce() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            Callable<Path> task = () -> ModelLocator.resolve(REF, settings);
            List<Future<Path>> futures = pool.invokeAll(List.of(task, task, task, task));
            for (Future<Path> f : futures) assertEquals(target().toAbsolutePath(), f.get());
        }
        assertArrayEquals(BYTES, Files.readAllBytes(target()));
        assertEquals(1, hub.requests("cdn").size());
    }

    @Test
    void anotherProcessDownloadingTheFileIsWaitedFor() throws Exception {
        Path lock = target().resolveSibling("model-Q4_0.gguf.lock");
        Files.createDirectories(target().getParent());
        Path source = Files.write(cache.resolve("source.bin"), BYTES);
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                lock.toString(), target().toString(), source.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            var stdout = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream()));
            assertEquals("locked", stdout.readLine());
            try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
                Future<Path> resolved = pool.submit(() -> ModelLocator.resolve(REF, settings));
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!log().contains("waiting for another process downloading " + REF) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(log().contains("waiting for another process"), log());
                assertFalse(resolved.isDone());
                other.getOutputStream().write('\n');
                other.getOutputStream().flush();
                assertEquals(target().toAbsolutePath(), resolved.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(0, other.waitFor());
        } finally {
            other.destroy();
        }
        assertArrayEquals(BYTES, Files.readAllBytes(target()));
        assertEquals(0, hub.requests().size(), "the other process's download is used");
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
