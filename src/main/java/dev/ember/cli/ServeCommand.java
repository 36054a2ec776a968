package dev.ember.cli;

import java.util.Map;
import java.util.Set;

/**
 * {@code ember serve}: turns the command-line options into the server's configuration keys (system
 * properties, which win over application.properties and environment variables) before Quarkus boots.
 */
final class ServeCommand {
    private ServeCommand() {}

    private static final Map<String, String> KEYS = Map.ofEntries(
            Map.entry("--model", "ember.model"),
            Map.entry("--model-name", "ember.model-name"),
            Map.entry("--api-key", "ember.api-key"),
            Map.entry("--ctx-size", "ember.ctx-size"),
            Map.entry("--chat-template", "ember.chat-template"),
            Map.entry("--threads", "ember.threads"),
            Map.entry("--backend", "ember.backend"),
            Map.entry("--max-num-seqs", "ember.max-num-seqs"),
            Map.entry("--max-num-batched-tokens", "ember.max-num-batched-tokens"),
            Map.entry("--kv-cache-tokens", "ember.kv-cache-tokens"),
            Map.entry("--max-queue", "ember.max-queue"),
            Map.entry("--kv-cache-memory", "ember.kv-cache-memory"),
            Map.entry("--enable-prefix-caching", "ember.enable-prefix-caching"),
            Map.entry("--idle-unload-seconds", "ember.idle-unload-seconds"),
            Map.entry("--drain-timeout", "ember.drain-timeout"),
            Map.entry("--port", "quarkus.http.port"),
            Map.entry("--host", "quarkus.http.host"));

    /** Validates the options and sets the configuration; Quarkus is started by the caller. */
    static void configure(String[] argv) {
        Args a = Args.parse("serve", argv, 1, KEYS.keySet(), Set.of());
        a.require("--model");
        for (String numeric : new String[] {"--port", "--ctx-size", "--threads", "--max-num-seqs", "--max-num-batched-tokens",
                "--kv-cache-tokens", "--max-queue", "--idle-unload-seconds"}) {
            if (a.has(numeric) && a.getInt(numeric, 0) < 0) throw new Args.UsageException("serve: " + numeric + " must be >= 0");
        }
        Cli.checkBackend(a);
        KEYS.forEach((option, key) -> {
            if (a.has(option)) System.setProperty(key, a.get(option));
        });
    }
}
