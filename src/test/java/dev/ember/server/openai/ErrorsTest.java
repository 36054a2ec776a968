package dev.ember.server.openai;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static dev.ember.server.openai.CompletionsTest.post;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

/** Bad requests get OpenAI-style error bodies with the right status and parameter. */
@QuarkusTest
class ErrorsTest {

    private static void badParam(String body, String param) {
        post("/v1/completions", body).then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo(param))
                .body("error.message", notNullValue());
    }

    @Test
    void malformedJsonIs400() {
        post("/v1/completions", "{\"prompt\": \"hi\", ").then().statusCode(400)
                .body("error.message", containsString("malformed JSON"));
    }

    @Test
    void unknownModelIs404() {
        post("/v1/completions", "{\"model\":\"gpt-9\",\"prompt\":\"hi\"}").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"));
    }

    @Test
    void badParameterValuesAre400NamingTheParameter() {
        badParam("{\"prompt\":\"hi\",\"max_tokens\":-1}", "max_tokens");
        badParam("{\"prompt\":\"hi\",\"temperature\":\"hot\"}", "temperature");
        badParam("{\"prompt\":\"hi\",\"temperature\":3}", "temperature");
        badParam("{\"prompt\":\"hi\",\"top_p\":1.5}", "top_p");
        badParam("{\"prompt\":\"hi\",\"top_p\":0}", "top_p");
        badParam("{\"prompt\":\"hi\",\"n\":1000}", "n");
        badParam("{\"prompt\":\"hi\",\"stop\":[1,2]}", "stop");
        badParam("{\"prompt\":\"hi\",\"logit_bias\":{\"99999\":5}}", "logit_bias");
        badParam("{\"prompt\":\"hi\",\"presence_penalty\":5}", "presence_penalty");
        badParam("{\"prompt\":[]}", "prompt");
        badParam("{\"max_tokens\":4}", "prompt");
    }

    @Test
    void nanTemperatureIsRefused() {
        // JSON has no NaN literal; Jackson rejects it as malformed unless allowed, either way a 400.
        post("/v1/completions", "{\"prompt\":\"hi\",\"temperature\":NaN}").then().statusCode(400);
    }

    @Test
    void promptLongerThanTheContextIs400WithTheNumbers() {
        String longPrompt = "Once upon a time ".repeat(60);
        post("/v1/completions", "{\"prompt\":\"" + longPrompt + "\",\"max_tokens\":4}").then().statusCode(400)
                .body("error.message", containsString("maximum context length is 128 tokens"))
                .body("error.param", equalTo("prompt"));
        post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":200}").then().statusCode(400)
                .body("error.message", containsString("you requested 205 tokens (5 in the prompt, 200 for the completion)"));
    }

    @Test
    void bodyTooLargeIs413() throws Exception {
        String big = "{\"prompt\":\"" + "x".repeat(9 << 20) + "\"}";
        // Expect: 100-continue lets the server refuse before the client sends 9 MB.
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(io.restassured.RestAssured.baseURI + ":"
                        + io.restassured.RestAssured.port + "/v1/completions"))
                .header("Content-Type", "application/json").expectContinue(true)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(big)).build();
        var response = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
                .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        org.junit.jupiter.api.Assertions.assertEquals(413, response.statusCode());
        org.junit.jupiter.api.Assertions.assertTrue(response.body().contains("\"body_too_large\""), response.body());
    }

    @Test
    void modelsTokenizeDetokenizeAndHealth() {
        given().get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data[0].id", equalTo("stories260K-f32")).body("data[0].max_model_len", equalTo(128));
        post("/tokenize", "{\"prompt\":\"Once upon a time\"}").then().statusCode(200)
                .body("tokens", equalTo(java.util.List.of(1, 403, 407, 261, 378))).body("count", equalTo(5));
        post("/detokenize", "{\"tokens\":[403, 407, 261, 378]}").then().statusCode(200)
                .body("prompt", equalTo("Once upon a time")); // llama_detokenize drops the SPM prefix space of the first token
        given().get("/health").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void metricsUseTheEmberPrefix() {
        post("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":2}").then().statusCode(200);
        given().get("/metrics").then().statusCode(200)
                .body(containsString("ember:num_requests_running"))
                .body(containsString("ember:prompt_tokens_total"))
                .body(containsString("ember:generation_tokens_total"))
                .body(containsString("ember:request_success_total{"))
                .body(containsString("finished_reason=\"length\""))
                .body(containsString("ember:time_to_first_token_seconds_bucket"))
                .body(containsString("ember:e2e_request_latency_seconds_count"));
    }
}
