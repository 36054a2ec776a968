package dev.ember.server.openai;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** With an API key configured, requests without the right bearer token get 401 in OpenAI's error shape. */
@QuarkusTest
@TestProfile(ApiKeyTest.WithKey.class)
class ApiKeyTest {
    public static class WithKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.api-key", "sk-test-123");
        }
    }

    @Test
    void missingKeyIs401() {
        given().get("/v1/models").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
    }

    @Test
    void wrongKeyIs401() {
        given().header("Authorization", "Bearer nope").get("/v1/models").then().statusCode(401)
                .body("error.message", equalTo("incorrect API key provided"));
    }

    @Test
    void rightKeyIsServed() {
        given().header("Authorization", "Bearer sk-test-123").get("/v1/models").then().statusCode(200);
    }
}
