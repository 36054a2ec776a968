package dev.ember.server.grpc;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** The server started with {@code ember.api-key}. */
public class ApiKeyProfile implements QuarkusTestProfile {
    public static final String KEY = "s3cret-key";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("ember.api-key", KEY);
    }
}
