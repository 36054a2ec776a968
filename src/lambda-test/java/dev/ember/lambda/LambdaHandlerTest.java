package dev.ember.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.testing.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Lambda build (profile {@code lambda}): in tests, Quarkus' mock Lambda event server turns each HTTP request
 * into an API Gateway HTTP (v2) event and hands it to the Lambda HTTP handler, which dispatches it to Ember's routes;
 * the handler's API Gateway response comes back as the HTTP response. So these requests cross the same handler that
 * AWS invokes ({@code QuarkusStreamHandler} delegates to it), with the model served from {@code ember.model}.
 */
@QuarkusTest
class LambdaHandlerTest {
    static final JsonNode REF = Fixtures.json(Fixtures.root().resolve("reference/stories260K-f32__once_upon_a_time.json"));

    static void awaitModel() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (given().get("/health").statusCode() != 200) {
            assertTrue(System.nanoTime() < deadline, "the model did not load through the handler within 2 minutes");
            Thread.sleep(100);
        }
    }

    @Test
    void greedyCompletionThroughTheHandlerEqualsLlamaCpp() throws InterruptedException {
        awaitModel();
        Response r = given().contentType("application/json")
                .body("{\"prompt\":\"Once upon a time\",\"max_tokens\":64,\"temperature\":0,\"ignore_eos\":true}")
                .post("/v1/completions");
        r.then().statusCode(200).body("object", equalTo("text_completion")).body("usage.completion_tokens", equalTo(64));
        assertEquals(REF.get("greedy").get("text").asText(), r.jsonPath().getString("choices[0].text"));
    }

    @Test
    void chatCompletionThroughTheHandler() throws InterruptedException {
        awaitModel();
        // Not streamed: a "stream":true response never completes through the Lambda HTTP handler (see deploy/README.md).
        given().contentType("application/json")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,\"temperature\":0,\"ignore_eos\":true}")
                .post("/v1/chat/completions").then().statusCode(200)
                .body("object", equalTo("chat.completion")).body("choices[0].message.role", equalTo("assistant"))
                .body("usage.completion_tokens", equalTo(4));
    }

    @Test
    void errorsKeepTheirStatusAndOpenAiBody() throws InterruptedException {
        awaitModel();
        given().contentType("application/json").body("{\"prompt\":\"hi\",\"temperature\":-1}").post("/v1/completions")
                .then().statusCode(400).body("error.param", equalTo("temperature"));
        given().get("/v1/models").then().statusCode(200).body("data[0].id", equalTo("stories260K-f32"));
    }
}
