package dev.ember.hub;

import java.io.Console;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * How hub references are resolved: where the hub is, where the cache is, the token, offline mode and
 * where progress goes.
 *
 * <table>
 * <caption>Sources, first match wins</caption>
 * <tr><th>setting</th><th>sources</th></tr>
 * <tr><td>hub URL</td><td>{@code ember.hub-url} (server config, or -D / {@code EMBER_HUB_URL} for the CLI),
 *     {@code HF_ENDPOINT}, {@code https://huggingface.co}</td></tr>
 * <tr><td>cache directory</td><td>{@code ember.cache-dir} ({@code EMBER_CACHE_DIR}), {@code EMBER_CACHE},
 *     {@code ~/.cache/ember/hub}</td></tr>
 * <tr><td>offline</td><td>{@code ember.hub-offline=true} ({@code EMBER_HUB_OFFLINE}) or {@code HF_HUB_OFFLINE}
 *     = 1/true/yes/on</td></tr>
 * <tr><td>token</td><td>{@code HF_TOKEN} (or the older {@code HUGGING_FACE_HUB_TOKEN}), sent as
 *     {@code Authorization: Bearer} to the hub's own host only, never to the CDN it redirects to</td></tr>
 * </table>
 *
 * @param log where progress and notices go (stderr by default)
 * @param terminal draw a progress bar (a terminal is attached) rather than plain lines
 * @param timeout connect timeout, the wait for each response's headers, and the longest a download may stall
 */
public record HubSettings(URI hubUrl, Path cacheDir, Optional<String> token, boolean offline, PrintStream log,
                          boolean terminal, Duration timeout) {
    public static final String DEFAULT_HUB_URL = "https://huggingface.co";
    public static final String HUB_URL_KEY = "ember.hub-url";
    public static final String CACHE_DIR_KEY = "ember.cache-dir";
    public static final String OFFLINE_KEY = "ember.hub-offline";

    public HubSettings {
        if (hubUrl == null || hubUrl.getScheme() == null || hubUrl.getHost() == null
                || !(hubUrl.getScheme().equals("http") || hubUrl.getScheme().equals("https"))) {
            throw new IllegalArgumentException("hub URL must be an http(s) URL, got '" + hubUrl + "'");
        }
        if (cacheDir == null) throw new IllegalArgumentException("no cache directory");
        token = token == null ? Optional.empty() : token.filter(t -> !t.isBlank()).map(String::trim);
        if (log == null) log = System.err;
        if (timeout == null) timeout = Duration.ofSeconds(60);
    }

    /**
     * Settings for the CLI: system properties ({@code -Dember.hub-url=...}), then {@code EMBER_HUB_URL},
     * {@code EMBER_CACHE_DIR}, {@code EMBER_HUB_OFFLINE}, then the hub tools' variables (see the class comment).
     */
    public static HubSettings fromSystem() {
        Function<String, String> property = key -> {
            String v = System.getProperty(key);
            return v != null ? v : System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        };
        return of(Optional.ofNullable(property.apply(HUB_URL_KEY)), Optional.ofNullable(property.apply(CACHE_DIR_KEY)),
                isTrue(property.apply(OFFLINE_KEY)), System::getenv);
    }

    /**
     * Settings from explicit {@code ember.*} values (absent: not configured) and an environment for the
     * hub tools' variables ({@code HF_ENDPOINT}, {@code EMBER_CACHE}, {@code HF_HUB_OFFLINE}, {@code HF_TOKEN}).
     */
    public static HubSettings of(Optional<String> hubUrl, Optional<String> cacheDir, boolean offline, Function<String, String> env) {
        String url = hubUrl.filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(env.apply("HF_ENDPOINT")).filter(s -> !s.isBlank()))
                .orElse(DEFAULT_HUB_URL).trim();
        String cache = cacheDir.filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(env.apply("EMBER_CACHE")).filter(s -> !s.isBlank()))
                .orElse(null);
        Path cachePath = cache != null ? expandHome(cache.trim())
                : Path.of(System.getProperty("user.home"), ".cache", "ember", "hub");
        Optional<String> token = Optional.ofNullable(env.apply("HF_TOKEN"))
                .or(() -> Optional.ofNullable(env.apply("HUGGING_FACE_HUB_TOKEN")));
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("hub URL '" + url + "' (ember.hub-url / HF_ENDPOINT) is not a URL");
        }
        return new HubSettings(uri, cachePath, token, offline || isTrue(env.apply("HF_HUB_OFFLINE")), System.err,
                stderrIsTerminal(), Duration.ofSeconds(60));
    }

    public HubSettings withHubUrl(URI url) {
        return new HubSettings(url, cacheDir, token, offline, log, terminal, timeout);
    }

    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(hubUrl, dir, token, offline, log, terminal, timeout);
    }

    public HubSettings withToken(String t) {
        return new HubSettings(hubUrl, cacheDir, Optional.ofNullable(t), offline, log, terminal, timeout);
    }

    public HubSettings withOffline(boolean off) {
        return new HubSettings(hubUrl, cacheDir, token, off, log, terminal, timeout);
    }

    /** Progress and notices to {@code out}; a bar when {@code isTerminal}, plain lines otherwise. */
    public HubSettings withLog(PrintStream out, boolean isTerminal) {
        return new HubSettings(hubUrl, cacheDir, token, offline, out, isTerminal, timeout);
    }

    public HubSettings withTimeout(Duration t) {
        return new HubSettings(hubUrl, cacheDir, token, offline, log, terminal, t);
    }

    /** huggingface_hub's truth values: 1, true, yes, on (any case). */
    static boolean isTrue(String v) {
        if (v == null) return false;
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            default -> false;
        };
    }

    /** Whether a terminal is attached (since JDK 22 System.console() is non-null even when redirected). */
    static boolean stderrIsTerminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    private static Path expandHome(String p) {
        if (p.equals("~")) return Path.of(System.getProperty("user.home"));
        if (p.startsWith("~/")) return Path.of(System.getProperty("user.home"), p.substring(2));
        return Path.of(p);
    }

    @Override
    public String toString() { // never print the token
        return "HubSettings[hubUrl=" + hubUrl + ", cacheDir=" + cacheDir + ", token=" + (token.isPresent() ? "set" : "none")
                + ", offline=" + offline + "]";
    }
}
