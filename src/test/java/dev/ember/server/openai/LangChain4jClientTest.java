package dev.ember.server.openai;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The unmodified langchain4j OpenAI client (chat, streaming chat, completions) against the server. */
@QuarkusTest
class LangChain4jClientTest {
    private static String baseUrl() {
        return RestAssured.baseURI + ":" + RestAssured.port + "/v1";
    }

    @Test
    void languageModelGreedyCompletionIsTheTinyStoriesOpening() {
        OpenAiLanguageModel model = OpenAiLanguageModel.builder().baseUrl(baseUrl()).apiKey("sk-none")
                .modelName("stories260K-f32").temperature(0.0).build();
        String text = model.generate("Once upon a time").content();
        assertTrue(text.startsWith(", there was a little girl named Lily."), text);
    }

    @Test
    void chatAndStreamingChatAgree() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("sk-none")
                .modelName("stories260K-f32").temperature(0.0).maxTokens(12).build();
        ChatResponse r = chat.chat(SystemMessage.from("Stories."), UserMessage.from("A cat"));
        String unary = r.aiMessage().text();
        assertEquals(12, r.tokenUsage().outputTokenCount());

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("sk-none")
                .modelName("stories260K-f32").temperature(0.0).maxTokens(12).build();
        CompletableFuture<String> done = new CompletableFuture<>();
        StringBuilder partial = new StringBuilder();
        streaming.chat(java.util.List.of(SystemMessage.from("Stories."), UserMessage.from("A cat")), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String token) {
                partial.append(token);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response.aiMessage().text());
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        String streamed = done.get(60, TimeUnit.SECONDS);
        assertEquals(unary, streamed);
        assertEquals(unary, partial.toString());
    }
}
