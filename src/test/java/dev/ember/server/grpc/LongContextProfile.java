package dev.ember.server.grpc;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * The fixture model with its context stretched to 4096 tokens, so an endless generation is still far
 * from done when a client cancels it (the model's own 128 tokens take milliseconds, and a stream that
 * already finished would prove nothing about cancellation).
 */
public class LongContextProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("ember.ctx-size", "4096", "ember.kv-cache-tokens", "4096");
    }
}
