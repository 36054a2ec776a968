package dev.ember.server.grpc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** Checks an {@code Authorization: Bearer <key>} value against {@code ember.api-key}; shared by gRPC and KServe REST. */
public final class BearerKey {
    private final byte[] key;

    public BearerKey(Optional<String> apiKey) {
        this.key = apiKey.filter(k -> !k.isEmpty()).map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    public boolean required() {
        return key != null;
    }

    /** Null when the request may pass, otherwise why not. */
    public String refusal(String authorization) {
        if (key == null) return null;
        if (authorization == null || authorization.isBlank()) return "missing API key: send 'authorization: Bearer <key>'";
        // The scheme is case-insensitive (RFC 7235); the key comparison is constant-time.
        if (authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "the authorization value must be 'Bearer <key>'";
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, key) ? null : "invalid API key";
    }
}
