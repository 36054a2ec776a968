package dev.ember.hub;

import dev.ember.hub.HubException.Kind;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one hub file into the cache. The bytes go to {@code <file>.incomplete} (resumed with a
 * {@code Range} request when it exists), are checked against the size and sha256 the hub announces,
 * and are moved into place atomically. {@code <file>.lock} (a {@link FileLock}, plus a monitor within
 * this JVM) keeps two downloads of the same file from interleaving; the loser waits and then finds the
 * file in place.
 */
final class HubDownloader {
    static final String USER_AGENT = "ember/0.1 (java.net.http)";
    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER = 1 << 20;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes\\s+\\*/(\\d+)");
    private static final ConcurrentHashMap<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private final HubSettings settings;

    HubDownloader(HubSettings settings) {
        this.settings = settings;
    }

    /** The cached file of {@code ref}, downloaded first when it is not in the cache. */
    Path fetch(HubReference ref) {
        Path target = ref.cachePath(settings.cacheDir()).toAbsolutePath().normalize();
        if (Files.isRegularFile(target)) return target;
        if (settings.offline()) {
            throw new HubException(Kind.OFFLINE, ref + " is not in the cache (" + target + ") and offline mode is on"
                    + " (HF_HUB_OFFLINE / ember.hub-offline): download it once online or unset offline mode");
        }
        Path lockFile = sibling(target, ".lock");
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new HubException(Kind.CACHE, "cannot create the cache directory " + target.getParent() + ": " + e, e);
        }
        synchronized (JVM_LOCKS.computeIfAbsent(target, k -> new Object())) {
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    settings.log().println("ember: waiting for another process downloading " + ref + " (" + lockFile + ")");
                    settings.log().flush();
                    lock = channel.lock();
                }
                try {
                    if (Files.isRegularFile(target)) return target; // the other process finished it
                    download(ref, target);
                    // Only after success: a waiter still holding the old lock file finds the target in place.
                    Files.deleteIfExists(lockFile);
                    return target;
                } finally {
                    if (lock.isValid()) lock.release();
                }
            } catch (IOException e) {
                throw new HubException(Kind.CACHE, "cannot lock " + lockFile + " for downloading " + ref + ": " + e, e);
            }
        }
    }

    private void download(HubReference ref, Path target) {
        Path partial = sibling(target, ".incomplete");
        URI url = ref.url(settings.hubUrl());
        try (HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // by hand: keeps X-Linked-* and drops the token off-hub
                .connectTimeout(settings.timeout())
                .build()) {
            long have = sizeOrZero(partial);
            Opened o = open(http, ref, url, have);
            int code = o.response.statusCode();
            if (code == 416 && have > 0) {
                // The partial file may already hold every byte; otherwise it is not a prefix of this file.
                OptionalLong total = header(o.response.headers(), "Content-Range")
                        .map(UNSATISFIED_RANGE::matcher).filter(Matcher::matches)
                        .map(m -> OptionalLong.of(Long.parseLong(m.group(1)))).orElse(OptionalLong.empty());
                close(o);
                long expected = o.linkedSize >= 0 ? o.linkedSize : total.orElse(-1);
                if (expected == have) {
                    finish(ref, partial, target, o.sha256, expected, have, hashOf(partial, o.sha256 != null));
                    return;
                }
                settings.log().println("ember: the partial download of " + ref + " does not match the file on the hub; restarting");
                deleteQuietly(partial);
                have = 0;
                o = open(http, ref, url, 0);
                code = o.response.statusCode();
            }
            if (code == 206 && contentRangeStart(o) != have) {
                close(o);
                if (have == 0) throw new HubException(Kind.NETWORK, "the hub answered a plain download of " + ref
                        + " with a partial range (" + header(o.response.headers(), "Content-Range").orElse("no Content-Range") + ")");
                settings.log().println("ember: the server resumed " + ref + " at the wrong offset; restarting from the beginning");
                deleteQuietly(partial);
                have = 0;
                o = open(http, ref, url, 0);
                code = o.response.statusCode();
            }
            if (code != 200 && code != 206) {
                close(o);
                throw statusError(ref, url, o);
            }
            if (code == 200 && have > 0) {
                settings.log().println("ember: the server does not resume downloads (HTTP 200 to a Range request); restarting "
                        + ref + " from the beginning");
                have = 0;
            }
            long expected = o.linkedSize;
            if (expected < 0) expected = code == 206 ? contentRangeTotal(o) : o.response.headers().firstValueAsLong("Content-Length").orElse(-1);
            MessageDigest md = o.sha256 != null ? (have > 0 ? hashOf(partial, true) : sha256()) : null;
            long done = stream(ref, o, partial, have, expected, md);
            finish(ref, partial, target, o.sha256, expected, done, md);
        }
    }

    /** Appends the response body to {@code partial} (or rewrites it when {@code have} is 0); the bytes now in it. */
    private long stream(HubReference ref, Opened o, Path partial, long have, long expected, MessageDigest md) {
        DownloadProgress progress = new DownloadProgress(settings.log(), settings.terminal(), ref.file(), expected, have);
        long done = have;
        progress.start();
        try (BodyReader in = new BodyReader(o.response.body(), settings.timeout());
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            for (List<ByteBuffer> chunk; (chunk = in.next()) != null; ) {
                for (ByteBuffer b : chunk) {
                    int n = b.remaining();
                    if (md != null) md.update(b.duplicate());
                    while (b.hasRemaining()) out.write(b);
                    done += n;
                }
                progress.update(done);
            }
        } catch (IOException e) {
            progress.abort();
            done = sizeOrZero(partial);
            throw new HubException(Kind.NETWORK, "the download of " + ref + " broke off after " + DownloadProgress.mb(done)
                    + (expected >= 0 ? " of " + DownloadProgress.mb(expected) : "") + " MB (" + describe(e) + "); "
                    + "the partial file " + partial + " is kept: run again to resume", e);
        }
        progress.finish(done);
        return done;
    }

    /** Checks size and sha256, then moves the file into place; a wrong file is deleted. */
    private void finish(HubReference ref, Path partial, Path target, String sha256, long expected, long done, MessageDigest md) {
        if (expected >= 0 && done < expected) {
            throw new HubException(Kind.NETWORK, "the download of " + ref + " ended early at " + done + " of " + expected
                    + " bytes; the partial file " + partial + " is kept: run again to resume");
        }
        if (expected >= 0 && done > expected) {
            deleteQuietly(partial);
            throw new HubException(Kind.CHECKSUM, "the download of " + ref + " has " + done + " bytes but the hub announced "
                    + expected + "; the download was deleted");
        }
        if (sha256 != null) {
            String actual = HexFormat.of().formatHex(md.digest());
            if (!actual.equals(sha256)) {
                deleteQuietly(partial);
                throw new HubException(Kind.CHECKSUM, "checksum mismatch for " + ref + ": the hub announced sha256 " + sha256
                        + " but the downloaded bytes have " + actual + "; the download was deleted");
            }
        } else {
            settings.log().println("ember: the hub gave no sha256 for " + ref + "; the download is kept without verification");
        }
        try {
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new HubException(Kind.CACHE, "cannot move " + partial + " to " + target + ": " + e, e);
        }
        settings.log().println("ember: " + ref + " -> " + target + (sha256 != null ? " (sha256 verified)" : ""));
        settings.log().flush();
    }

    /** One GET, following redirects by hand; the hub's X-Linked-* headers are collected on the way. */
    private Opened open(HttpClient http, HubReference ref, URI url, long offset) {
        URI current = url;
        String linkedEtag = null;
        long linkedSize = -1;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current).GET().timeout(settings.timeout())
                    .header("User-Agent", USER_AGENT);
            if (settings.token().isPresent() && sameOrigin(current, settings.hubUrl())) {
                b.header("Authorization", "Bearer " + settings.token().get());
            }
            if (offset > 0) b.header("Range", "bytes=" + offset + "-");
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofPublisher());
            } catch (IOException e) {
                throw new HubException(Kind.NETWORK, "cannot download " + ref + ": " + describe(e) + " (" + withoutQuery(current) + ")", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException(Kind.NETWORK, "interrupted while downloading " + ref, e);
            }
            HttpHeaders h = r.headers();
            if (linkedEtag == null) linkedEtag = h.firstValue("X-Linked-Etag").orElse(null);
            if (linkedSize < 0) linkedSize = h.firstValueAsLong("X-Linked-Size").orElse(-1);
            int code = r.statusCode();
            if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
                String location = h.firstValue("Location").orElse(null);
                closeBody(r);
                if (location == null) {
                    throw new HubException(Kind.NETWORK, "HTTP " + code + " without a Location header from " + withoutQuery(current));
                }
                if (hop >= MAX_REDIRECTS) throw new HubException(Kind.NETWORK, "too many redirects downloading " + ref);
                try {
                    current = current.resolve(location);
                } catch (IllegalArgumentException e) {
                    throw new HubException(Kind.NETWORK, "bad redirect target '" + location + "' downloading " + ref, e);
                }
                continue;
            }
            String sha = sha256Of(linkedEtag);
            if (sha == null && linkedEtag == null && (code == 200 || code == 206)) sha = sha256Of(h.firstValue("ETag").orElse(null));
            return new Opened(r, current, sha, linkedSize);
        }
    }

    private HubException statusError(HubReference ref, URI url, Opened o) {
        int code = o.response.statusCode();
        String errorCode = header(o.response.headers(), "X-Error-Code").orElse("");
        String hubMessage = header(o.response.headers(), "X-Error-Message").map(m -> " (hub: " + m + ")").orElse("");
        String where = " [HTTP " + code + " from " + withoutQuery(o.finalUrl) + "]";
        if (code == 401 || code == 403) {
            if (errorCode.equals("GatedRepo")) {
                return new HubException(Kind.UNAUTHORIZED, "repository " + ref.repoId() + " is gated: accept its conditions on the hub"
                        + " and set HF_TOKEN to a token of that account to download " + ref + hubMessage + where);
            }
            String advice = settings.token().isPresent()
                    ? "the token in HF_TOKEN is not allowed to read it"
                    : "set HF_TOKEN to an access token that can read it";
            return new HubException(Kind.UNAUTHORIZED, "access denied to " + ref + ": repository " + ref.repoId()
                    + " is private, gated or does not exist; " + advice + hubMessage + where);
        }
        if (code == 404) {
            String what = switch (errorCode) {
                case "RepoNotFound" -> "repository " + ref.repoId() + " not found";
                case "RevisionNotFound" -> "revision '" + ref.revision() + "' not found in repository " + ref.repoId();
                default -> "file '" + ref.file() + "' not found in repository " + ref.repoId() + " at revision '" + ref.revision() + "'";
            };
            return new HubException(Kind.NOT_FOUND, what + " (" + ref + ")" + hubMessage + where);
        }
        if (code == 429) {
            return new HubException(Kind.NETWORK, "the hub is rate-limiting downloads of " + ref + "; retry later" + hubMessage + where);
        }
        return new HubException(Kind.NETWORK, "cannot download " + ref + ": unexpected answer" + hubMessage + where);
    }

    private record Opened(HttpResponse<Flow.Publisher<List<ByteBuffer>>> response, URI finalUrl, String sha256, long linkedSize) {}

    /** The lowercase hex sha256 in an ETag ({@code "hex"} or {@code W/"hex"}), or null when it holds something else. */
    static String sha256Of(String etag) {
        if (etag == null) return null;
        String v = etag.trim();
        if (v.startsWith("W/")) v = v.substring(2);
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
        return SHA256.matcher(v).matches() ? v.toLowerCase(Locale.ROOT) : null;
    }

    private static long contentRangeStart(Opened o) {
        return header(o.response.headers(), "Content-Range").map(CONTENT_RANGE::matcher).filter(Matcher::matches)
                .map(m -> Long.parseLong(m.group(1))).orElse(-1L);
    }

    private static long contentRangeTotal(Opened o) {
        return header(o.response.headers(), "Content-Range").map(CONTENT_RANGE::matcher).filter(Matcher::matches)
                .filter(m -> !m.group(3).equals("*")).map(m -> Long.parseLong(m.group(3))).orElse(-1L);
    }

    private static Optional<String> header(HttpHeaders h, String name) {
        return h.firstValue(name).map(String::trim).filter(s -> !s.isEmpty());
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) return u.getPort();
        return u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static String withoutQuery(URI u) {
        String s = u.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A SHA-256 digest fed with the bytes already in {@code file} (null when not wanted). */
    private static MessageDigest hashOf(Path file, boolean wanted) {
        if (!wanted) return null;
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) >= 0; ) md.update(buf, 0, n);
        } catch (IOException e) {
            throw new HubException(Kind.CACHE, "cannot read the partial download " + file + ": " + e, e);
        }
        return md;
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void close(Opened o) {
        closeBody(o.response);
    }

    private static void closeBody(HttpResponse<Flow.Publisher<List<ByteBuffer>>> r) {
        BodyReader.discard(r.body());
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a left-over partial file is harmless: the next download restarts or resumes it
        }
    }

    private static Path sibling(Path p, String suffix) {
        return p.resolveSibling(p.getFileName() + suffix);
    }
}
