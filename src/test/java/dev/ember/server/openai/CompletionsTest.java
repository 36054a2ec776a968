package dev.ember.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.testing.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /v1/completions against stories260K-f32: greedy equals llama.cpp's tokens; SSE chunks equal the unary text. */
@QuarkusTest
class CompletionsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNode REF = Fixtures.json(Fixtures.root().resolve("reference/stories260K-f32__once_upon_a_time.json"));

    static Response post(String path, String body) {
        return given().contentType("application/json").body(body).post(path);
    }

    @Test
    void greedyCompletionEqualsLlamaCppGreedyText() throws Exception {
        Response r = post("/v1/completions", """
                {"model":"stories260K-f32","prompt":"Once upon a time","max_tokens":64,"temperature":0,"ignore_eos":true}""");
        r.then().statusCode(200).body("object", equalTo("text_completion"))
                .body("model", equalTo("stories260K-f32"))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("choices[0].logprobs", nullValue())
                .body("usage.prompt_tokens", equalTo(5))
                .body("usage.completion_tokens", equalTo(64))
                .body("usage.total_tokens", equalTo(69));
        assertEquals(REF.get("greedy").get("text").asText(), r.jsonPath().getString("choices[0].text"));
    }

    @Test
    void tokenIdPromptGivesTheSameCompletion() {
        String ids = REF.get("tokens").toString();
        post("/v1/completions", "{\"prompt\":" + ids + ",\"max_tokens\":8,\"temperature\":0}")
                .then().statusCode(200).body("choices[0].text", startsWith(", there was a little girl"));
    }

    static List<JsonNode> sse(String body) throws Exception {
        List<JsonNode> chunks = new ArrayList<>();
        String[] events = body.split("\n\n");
        assertEquals("data: [DONE]", events[events.length - 1].trim(), "the stream ends with [DONE]");
        for (int i = 0; i < events.length - 1; i++) {
            assertTrue(events[i].startsWith("data: "), events[i]);
            chunks.add(JSON.readTree(events[i].substring(6)));
        }
        return chunks;
    }

    @Test
    void streamedChunksConcatenateToTheUnaryText() throws Exception {
        String unary = post("/v1/completions", """
                {"prompt":"The little dog","max_tokens":30,"temperature":0}""").then().statusCode(200)
                .extract().jsonPath().getString("choices[0].text");
        Response r = post("/v1/completions", """
                {"prompt":"The little dog","max_tokens":30,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""");
        r.then().statusCode(200).header("Content-Type", containsString("text/event-stream"));
        List<JsonNode> chunks = sse(r.asString());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonNode c : chunks) {
            if (c.get("choices").isEmpty()) continue;
            text.append(c.get("choices").get(0).get("text").asText());
            if (!c.get("choices").get(0).get("finish_reason").isNull()) finish = c.get("choices").get(0).get("finish_reason").asText();
        }
        assertEquals(unary, text.toString());
        assertEquals("length", finish);
        JsonNode usage = chunks.getLast().get("usage");
        assertEquals(30, usage.get("completion_tokens").asInt());
        assertTrue(chunks.getLast().get("choices").isEmpty(), "the usage chunk has no choices");
    }

    @Test
    void stopStringsAreNotEmittedAndEndTheCompletion() {
        post("/v1/completions", """
                {"prompt":"Once upon a time","max_tokens":60,"temperature":0,"stop":["Lily","zzz"]}""")
                .then().statusCode(200)
                .body("choices[0].text", equalTo(", there was a little girl named "))
                .body("choices[0].finish_reason", equalTo("stop"));
    }

    @Test
    void seededSamplingIsReproducibleAndNGivesDistinctChoices() {
        String body = """
                {"prompt":"Once upon a time","max_tokens":20,"temperature":1.0,"seed":7,"n":3}""";
        List<String> a = post("/v1/completions", body).then().statusCode(200).extract().jsonPath().getList("choices.text");
        List<String> b = post("/v1/completions", body).then().statusCode(200).extract().jsonPath().getList("choices.text");
        assertEquals(3, a.size());
        assertEquals(a, b, "same seed, same text");
        assertTrue(a.stream().distinct().count() > 1, "choices use different seeds: " + a);
    }

    @Test
    void logprobsListTheChosenTokenAndAlternatives() {
        Response r = post("/v1/completions", """
                {"prompt":"Once upon a time","max_tokens":3,"temperature":0,"logprobs":2}""");
        r.then().statusCode(200);
        List<String> tokens = r.jsonPath().getList("choices[0].logprobs.tokens");
        List<Float> lps = r.jsonPath().getList("choices[0].logprobs.token_logprobs");
        assertEquals(3, tokens.size());
        assertEquals(3, lps.size());
        for (float lp : lps) assertTrue(lp <= 0f);
        assertEquals(",", tokens.get(0));
    }

    @Test
    void logitBiasCanBanTheGreedyToken() {
        // Token 432 is "," (llama.cpp's first greedy token): banning it changes the first token.
        String text = post("/v1/completions", """
                {"prompt":"Once upon a time","max_tokens":1,"temperature":0,"logit_bias":{"432":-100}}""")
                .then().statusCode(200).extract().jsonPath().getString("choices[0].text");
        assertTrue(!text.startsWith(","), text);
    }
}
