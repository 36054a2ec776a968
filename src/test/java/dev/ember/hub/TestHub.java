package dev.ember.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A local imitation of a Hugging Face hub on 127.0.0.1 (random ports): {@code /OWNER/REPO/resolve/REV/FILE}
 * either answers 302 to a second server, the "CDN" (another origin), with {@code X-Linked-Etag} /
 * {@code X-Linked-Size}, like the hub does for LFS files, or serves the bytes itself with an ETag. Every
 * request is recorded with its Range and Authorization headers and the body bytes sent.
 */
public final class TestHub implements AutoCloseable {
    /** What the hub says about the file's sha256. */
    public enum Sha { LINKED, ETAG, NONE, WRONG }

    public record Request(String server, String path, String range, String authorization, int status, long bodyBytes) {}

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final List<Request> requests = new ArrayList<>();

    public volatile boolean redirect = true;
    public volatile boolean honourRange = true;
    public volatile Sha sha = Sha.LINKED;
    public volatile String requiredToken;
    /** When >= 0, the next file body announces its full length but stops after this many bytes (the connection stalls). */
    public volatile long cutAfter = -1;

    public TestHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    public void put(String repoId, String revision, String file, byte[] bytes) {
        files.put(repoId + "/" + revision + "/" + file, bytes);
    }

    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    public synchronized List<Request> requests(String server) {
        return requests.stream().filter(r -> r.server.equals(server)).toList();
    }

    public long bodyBytes() {
        return requests().stream().mapToLong(Request::bodyBytes).sum();
    }

    private synchronized void record(String server, HttpExchange ex, int status, long bytes) {
        requests.add(new Request(server, ex.getRequestURI().toString(), ex.getRequestHeaders().getFirst("Range"),
                ex.getRequestHeaders().getFirst("Authorization"), status, bytes));
    }

    private void hub(HttpExchange ex) throws IOException {
        try (ex) {
            String[] parts = ex.getRequestURI().getRawPath().substring(1).split("/", 5);
            if (parts.length < 5 || !parts[2].equals("resolve")) {
                empty(ex, "hub", 400, null, null);
                return;
            }
            String key = decode(parts[0]) + "/" + decode(parts[1]) + "/" + decode(parts[3]) + "/"
                    + String.join("/", java.util.Arrays.stream(parts[4].split("/")).map(TestHub::decode).toList());
            String token = requiredToken;
            if (token != null && !("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                empty(ex, "hub", 401, "RepoNotFound", "Invalid credentials in Authorization header");
                return;
            }
            byte[] bytes = files.get(key);
            if (bytes == null) {
                empty(ex, "hub", 404, "EntryNotFound", "Entry not found");
                return;
            }
            String sha256 = sha256(bytes);
            String announced = switch (sha) {
                case LINKED, ETAG -> sha256;
                case WRONG -> sha256(new byte[] {1, 2, 3});
                case NONE -> null;
            };
            if (redirect) {
                if (announced != null && sha != Sha.ETAG) ex.getResponseHeaders().add("X-Linked-Etag", "\"" + announced + "\"");
                ex.getResponseHeaders().add("X-Linked-Size", Long.toString(bytes.length));
                ex.getResponseHeaders().add("ETag", "\"0123456789abcdef0123456789abcdef01234567\""); // a git blob id
                ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/"
                        + URLEncoder.encode(key, StandardCharsets.UTF_8) + "?X-Amz-Signature=abc");
                empty(ex, "hub", 302, null, null);
            } else {
                serve(ex, "hub", bytes, announced != null ? "\"" + announced + "\"" : "\"0123456789abcdef0123456789abcdef01234567\"");
            }
        }
    }

    private void cdn(HttpExchange ex) throws IOException {
        try (ex) {
            String key = decode(ex.getRequestURI().getRawPath().substring("/cdn/".length()));
            byte[] bytes = files.get(key);
            if (bytes == null) {
                empty(ex, "cdn", 404, null, null);
                return;
            }
            // Like S3: the CDN's own ETag is an md5-style id, not the sha256.
            serve(ex, "cdn", bytes, sha == Sha.ETAG ? "\"" + sha256(bytes) + "\"" : "\"d41d8cd98f00b204e9800998ecf8427e-3\"");
        }
    }

    private void serve(HttpExchange ex, String server, byte[] bytes, String etag) throws IOException {
        ex.getResponseHeaders().add("ETag", etag);
        ex.getResponseHeaders().add("Accept-Ranges", honourRange ? "bytes" : "none");
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        int status = 200;
        if (range != null && honourRange) {
            from = Integer.parseInt(range.replace("bytes=", "").replace("-", "").trim());
            if (from >= bytes.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + bytes.length);
                empty(ex, server, 416, null, null);
                return;
            }
            status = 206;
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        int length = bytes.length - from;
        ex.sendResponseHeaders(status, length);
        long cut = cutAfter;
        long sent = 0;
        boolean cutNow = false;
        OutputStream out = ex.getResponseBody();
        for (int off = from; off < bytes.length && !cutNow; ) {
            int n = Math.min(64 * 1024, bytes.length - off);
            if (cut >= 0 && sent + n >= cut) {
                n = (int) (cut - sent);
                cutAfter = -1;
                cutNow = true;
            }
            out.write(bytes, off, n);
            off += n;
            sent += n;
        }
        record(server, ex, status, sent);
        if (cutNow) {
            out.flush();
            try {
                out.close(); // fewer bytes than announced: HttpServer closes the connection
            } catch (IOException expected) {
                // "insufficient bytes written to stream"
            }
            return;
        }
        out.close();
    }

    private void empty(HttpExchange ex, String server, int status, String errorCode, String message) throws IOException {
        if (errorCode != null) ex.getResponseHeaders().add("X-Error-Code", errorCode);
        if (message != null) ex.getResponseHeaders().add("X-Error-Message", message);
        ex.sendResponseHeaders(status, -1);
        record(server, ex, status, 0);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
