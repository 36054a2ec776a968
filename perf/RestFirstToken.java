import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Cold-start probe for perf/cold-start.sh: the time of the first token of a streamed OpenAI {@code /v1/completions}
 * request, JDK only (HTTP/1.1 on a plain socket), the REST twin of {@code GrpcFirstToken}.
 *
 * <p>usage: {@code java RestFirstToken.java PORT [PROMPT] [TIMEOUT_S]} (it shares {@code GrpcFirstToken}'s connect loop,
 * which the source launcher finds beside it). It prints {@code ready} once loaded (start the
 * server after that line, so the probe's own JVM start-up is not measured), keeps connecting until the port opens, and
 * sends the request at once: Ember queues a request that comes while it loads its model; a server that answers 503
 * while it loads (llama-server) is asked again 5 ms later. It prints the wall-clock time of the first streamed
 * {@code data:} event whose {@code text} is not empty as epoch nanoseconds, then {@code text "TEXT"}. Exit 1 if the
 * stream ends without one, the server answers anything but 200 or 503, or the time runs out.
 */
public final class RestFirstToken {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String prompt = args.length > 1 ? args[1] : "Once upon a time";
        long deadline = System.nanoTime() + (args.length > 2 ? Long.parseLong(args[2]) : 120) * 1_000_000_000L;
        byte[] body = ("{\"prompt\":\"" + prompt.replace("\\", "\\\\").replace("\"", "\\\"")
                + "\",\"max_tokens\":1,\"temperature\":0,\"stream\":true}").getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Accept: text/event-stream\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        System.out.println("ready");
        System.out.flush();
        try {
            while (true) {
                try (Socket s = GrpcFirstToken.connect(port, deadline)) {
                    OutputStream out = s.getOutputStream();
                    out.write(head);
                    out.write(body);
                    out.flush();
                    InputStream in = s.getInputStream();
                    String status = line(in);
                    boolean chunked = false;
                    for (String h = line(in); !h.isEmpty(); h = line(in)) {
                        if (h.toLowerCase().replace(" ", "").equals("transfer-encoding:chunked")) chunked = true;
                    }
                    if (status.startsWith("HTTP/1.1 503")) {
                        if (System.nanoTime() > deadline) throw new IOException("still 503 at the deadline");
                        Thread.sleep(5);
                        continue;
                    }
                    if (!status.startsWith("HTTP/1.1 200")) throw new IOException("the server answered " + status);
                    String text = firstText(chunked ? new Dechunked(in) : in, deadline);
                    Instant now = Instant.now();
                    System.out.println(now.getEpochSecond() * 1_000_000_000L + now.getNano());
                    System.out.println("text \"" + text + "\"");
                    return;
                }
            }
        } catch (IOException e) {
            System.err.println("RestFirstToken: " + e.getMessage());
            System.exit(1);
        }
    }

    /** One CRLF- or LF-terminated line of ASCII, without its end. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("the connection closed in the middle of a line");
            if (c != '\r') b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** The text of the first SSE {@code data:} line with a non-empty {@code "text"} value (as JSON writes it). */
    private static String firstText(InputStream in, long deadline) throws IOException {
        while (System.nanoTime() < deadline) {
            String l;
            try {
                l = line(in);
            } catch (IOException e) {
                throw new IOException("the stream ended without a token (see the server log)");
            }
            if (!l.startsWith("data:")) continue;
            int at = l.indexOf("\"text\":\"");
            if (at < 0) continue;
            int from = at + 8;
            int to = from;
            while (to < l.length() && l.charAt(to) != '"') to += l.charAt(to) == '\\' ? 2 : 1;
            if (to > from) return l.substring(from, Math.min(to, l.length()));
        }
        throw new IOException("no token before the deadline");
    }

    /** The body of a chunked HTTP/1.1 response. */
    private static final class Dechunked extends InputStream {
        private final InputStream in;
        private long left;

        Dechunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                String size = line(in);
                if (size.isEmpty()) size = line(in); // the CRLF after the previous chunk's data
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) return -1;
            }
            int c = in.read();
            if (c < 0) throw new IOException("the connection closed inside a chunk");
            left--;
            return c;
        }
    }
}
