package dev.ember.server.kserve;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** KServe v2 REST: health, metadata, infer, and Triton's generate extension, with exact bodies. */
@QuarkusTest
class KServeRestTest {
    private static final String MODEL = KServeGrpcTest.MODEL;
    private static final String GREEDY = "{\"text_input\":\"Once upon a time\",\"parameters\":{\"max_tokens\":%d,\"temperature\":0}}";

    @Test
    void healthAndReadiness() {
        given().get("/v2/health/live").then().statusCode(200).body(equalTo(""));
        given().get("/v2/health/ready").then().statusCode(200).body(equalTo(""));
        given().get("/v2/models/" + MODEL + "/ready").then().statusCode(200).body(equalTo(""));
        given().get("/v2/models/" + MODEL + "/versions/1/ready").then().statusCode(200);
        given().get("/v2/models/nope/ready").then().statusCode(404).contentType(ContentType.JSON)
                .body(equalTo("{\"error\":\"The model 'nope' does not exist (serving '" + MODEL + "')\"}"));
    }

    @Test
    void metadata() {
        given().get("/v2").then().statusCode(200).body("name", equalTo("ember")).body("extensions[0]", equalTo("generate"));
        given().get("/v2/models/" + MODEL).then().statusCode(200).body(equalTo("{\"name\":\"" + MODEL + "\",\"versions\":[\"1\"],"
                + "\"platform\":\"ember_gguf\",\"inputs\":[{\"name\":\"text_input\",\"datatype\":\"BYTES\",\"shape\":[1]}],"
                + "\"outputs\":[{\"name\":\"text_output\",\"datatype\":\"BYTES\",\"shape\":[1]}]}"));
        given().get("/v2/models/" + MODEL + "/versions/3").then().statusCode(404).body("error", startsWith("model '" + MODEL + "' has no version '3'"));
    }

    @Test
    void generateReturnsTheGreedyText() {
        given().contentType(ContentType.JSON).body(GREEDY.formatted(20)).post("/v2/models/" + MODEL + "/generate")
                .then().statusCode(200).contentType(ContentType.JSON)
                .body(equalTo("{\"model_name\":\"" + MODEL + "\",\"model_version\":\"1\",\"text_output\":\"" + KServeGrpcTest.GREEDY_20
                        + "\",\"finish_reason\":\"length\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":20,\"total_tokens\":25}}"));
    }

    @Test
    void topLevelPropertiesAreParametersToo() {
        given().contentType(ContentType.JSON).body("{\"text_input\":\"Once upon a time\",\"max_tokens\":3,\"temperature\":0}")
                .post("/v2/models/" + MODEL + "/versions/1/generate")
                .then().statusCode(200).body("text_output", equalTo(", there was")).body("usage.completion_tokens", equalTo(3));
    }

    @Test
    void generateStreamSendsOneEventPerToken() {
        String head = "data: {\"model_name\":\"" + MODEL + "\",\"model_version\":\"1\",\"text_output\":";
        given().contentType(ContentType.JSON).body(GREEDY.formatted(5)).post("/v2/models/" + MODEL + "/generate_stream")
                .then().statusCode(200).contentType("text/event-stream")
                .body(equalTo(head + "\",\"}\n\n"
                        + head + "\" there\"}\n\n"
                        + head + "\" was\"}\n\n"
                        + head + "\" a\"}\n\n"
                        + head + "\" little\",\"finish_reason\":\"length\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":5,\"total_tokens\":10}}\n\n"));
    }

    @Test
    void inferTakesTheTensorForm() {
        given().contentType(ContentType.JSON)
                .body("{\"id\":\"a1\",\"inputs\":[{\"name\":\"text_input\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"Once upon a time\"]}],"
                        + "\"parameters\":{\"max_tokens\":3,\"temperature\":0}}")
                .post("/v2/models/" + MODEL + "/infer")
                .then().statusCode(200)
                .body(equalTo("{\"model_name\":\"" + MODEL + "\",\"model_version\":\"1\",\"id\":\"a1\","
                        + "\"parameters\":{\"finish_reason\":\"length\",\"prompt_tokens\":5,\"completion_tokens\":3},"
                        + "\"outputs\":[{\"name\":\"text_output\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\", there was\"]}]}"));
    }

    @Test
    void errorsAreJsonWithTheirStatus() {
        String url = "/v2/models/" + MODEL + "/generate";
        given().contentType(ContentType.JSON).body("{\"text_input\":\"Once\",\"parameters\":{\"max_tokens\":-1}}").post(url)
                .then().statusCode(400).contentType(ContentType.JSON).body(equalTo("{\"error\":\"max_tokens must be >= 0, got -1\"}"));
        given().contentType(ContentType.JSON).body("{\"text_input\":\"Once\",\"parameters\":{\"top_p\":2}}").post(url)
                .then().statusCode(400).body(equalTo("{\"error\":\"top_p = 2.0: must be in (0, 1]\"}"));
        given().contentType(ContentType.JSON).body("{\"text_input\":\"Once\",\"parameters\":{\"temperature\":\"hot\"}}").post(url)
                .then().statusCode(400).body(equalTo("{\"error\":\"temperature must be a number, got hot\"}"));
        given().contentType(ContentType.JSON).body("{\"parameters\":{}}").post(url)
                .then().statusCode(400).body(equalTo("{\"error\":\"text_input (a string) is required\"}"));
        given().contentType(ContentType.JSON).body("not json").post(url)
                .then().statusCode(400).body("error", startsWith("the body is not valid JSON"));
        given().contentType(ContentType.JSON).body("{\"text_input\":\"Once\"}").post("/v2/models/gpt-4/generate")
                .then().statusCode(404).body("error", startsWith("The model 'gpt-4' does not exist"));
        // Refused before generation starts, the stream endpoint answers a plain JSON error too.
        given().contentType(ContentType.JSON).body("{\"text_input\":\"Once\",\"parameters\":{\"top_k\":-5}}")
                .post("/v2/models/" + MODEL + "/generate_stream")
                .then().statusCode(400).contentType(ContentType.JSON).body(equalTo("{\"error\":\"top_k = -1: must be >= 0 (0 = off)\"}"));
        String tooLong = "Once upon a time ".repeat(100);
        given().contentType(ContentType.JSON).body("{\"text_input\":\"" + tooLong + "\"}").post(url)
                .then().statusCode(400).body("error", startsWith("the prompt has 402 tokens, but the context holds 128"));
    }
}
