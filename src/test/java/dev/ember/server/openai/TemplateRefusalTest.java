package dev.ember.server.openai;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.ember.server.openai.CompletionsTest.post;
import static org.hamcrest.Matchers.equalTo;

/** A chat template's own refusal (Gemma has no system role) reaches the client as a 400 with the template's message. */
@QuarkusTest
@TestProfile(TemplateRefusalTest.Gemma.class)
class TemplateRefusalTest {
    public static class Gemma implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.chat-template", "../shared/fixtures/templates/google-gemma-2-2b-it.jinja");
        }
    }

    @Test
    void systemRoleRefusedByGemmaTemplateIs400WithItsMessage() {
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .then().statusCode(400)
                .body("error.message", equalTo("System role not supported"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("messages"));
    }

    @Test
    void userOnlyConversationIsServed() {
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3}")
                .then().statusCode(200).body("choices[0].message.role", equalTo("assistant"));
    }
}
