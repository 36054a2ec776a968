package dev.ember.server.kserve;

import dev.ember.server.grpc.ApiKeyProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** With ember.api-key set, the KServe REST endpoints need {@code Authorization: Bearer <key>}, except health. */
@QuarkusTest
@TestProfile(ApiKeyProfile.class)
class KServeApiKeyTest {
    @Test
    void healthIsOpen() {
        given().get("/v2/health/live").then().statusCode(200);
        given().get("/v2/health/ready").then().statusCode(200);
    }

    @Test
    void modelEndpointsNeedTheKey() {
        given().get("/v2/models/stories260K-f32").then().statusCode(401).body("error", equalTo("missing API key: send 'authorization: Bearer <key>'"));
        given().header("Authorization", "Bearer nope").get("/v2/models/stories260K-f32").then().statusCode(401).body("error", equalTo("invalid API key"));
        given().header("Authorization", "Bearer " + ApiKeyProfile.KEY).get("/v2/models/stories260K-f32").then().statusCode(200)
                .body("name", equalTo("stories260K-f32"));
        given().contentType("application/json").body("{\"text_input\":\"Once\"}").post("/v2/models/stories260K-f32/generate")
                .then().statusCode(401);
    }
}
