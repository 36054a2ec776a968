package dev.ember.server.grpc;

import dev.ember.server.ModelService;
import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.GenerateResponse;
import dev.ember.server.grpc.v1.GenerateStreamResponse;
import dev.ember.server.grpc.v1.Generation;
import dev.ember.server.grpc.v1.ListModelsRequest;
import dev.ember.server.grpc.v1.ModelInfo;
import dev.ember.server.grpc.v1.SamplingOptions;
import dev.ember.server.grpc.v1.TokenizeRequest;
import dev.ember.testing.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ember.v1.Generation through a generated gRPC client on the HTTP test port, against the stories260K fixture model. */
@QuarkusTest
class GrpcGenerationTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @GrpcClient("ember")
    Generation client;

    @Inject
    ModelService service;

    private static GenerateRequest greedy(String prompt, int maxTokens) {
        return GenerateRequest.newBuilder().setPrompt(prompt).setMaxTokens(maxTokens)
                .setSampling(SamplingOptions.newBuilder().setTemperature(0)).build();
    }

    @Test
    void unaryGreedyGenerateMatchesLlamaCpp() {
        GenerateResponse r = client.generate(greedy("Once upon a time", 20)).await().atMost(WAIT);
        int[] reference = Fixtures.ints(Fixtures.json(Fixtures.root().resolve("reference/stories260K-f32__once_upon_a_time.json"))
                .get("greedy").get("tokens"));
        assertEquals(Arrays.stream(reference).limit(20).boxed().toList(), r.getTokensList());
        assertTrue(r.getText().startsWith(", there was a little girl named Lily."), r.getText());
        assertEquals("length", r.getFinishReason());
        assertEquals(5, r.getUsage().getPromptTokens());
        assertEquals(20, r.getUsage().getCompletionTokens());
        assertEquals(25, r.getUsage().getTotalTokens());
    }

    @Test
    void maxTokensZeroMeansSixteen() {
        GenerateResponse r = client.generate(greedy("Once upon a time", 0)).await().atMost(WAIT);
        assertEquals(16, r.getUsage().getCompletionTokens());
    }

    @Test
    void streamConcatenatesToTheUnaryText() {
        GenerateResponse unary = client.generate(greedy("Once upon a time", 20)).await().atMost(WAIT);
        List<GenerateStreamResponse> messages = client.generateStream(greedy("Once upon a time", 20)).collect().asList().await().atMost(WAIT);
        assertEquals(unary.getText(), messages.stream().map(GenerateStreamResponse::getText).collect(Collectors.joining()));
        assertEquals(unary.getTokensList(), messages.stream().map(GenerateStreamResponse::getToken).filter(t -> t >= 0).toList());
        for (GenerateStreamResponse m : messages.subList(0, messages.size() - 1)) {
            assertEquals("", m.getFinishReason());
            assertFalse(m.hasUsage());
        }
        GenerateStreamResponse last = messages.getLast();
        assertEquals("length", last.getFinishReason());
        assertEquals(unary.getUsage(), last.getUsage());
    }

    @Test
    void tokenizeWithSpecialTokens() {
        var r = client.tokenize(TokenizeRequest.newBuilder().setText("Once upon a time").setAddSpecial(true).build()).await().atMost(WAIT);
        assertEquals(List.of(1, 403, 407, 261, 378), r.getTokensList());
        var plain = client.tokenize(TokenizeRequest.newBuilder().setText("Once upon a time").build()).await().atMost(WAIT);
        assertEquals(List.of(403, 407, 261, 378), plain.getTokensList());
    }

    @Test
    void listModelsNamesTheServedModel() {
        var r = client.listModels(ListModelsRequest.getDefaultInstance()).await().atMost(WAIT);
        assertEquals(List.of(ModelInfo.newBuilder().setId("stories260K-f32").setContextLength(service.contextSize())
                .setVocabSize(service.tokenizer().vocabSize()).build()), r.getModelsList());
    }

    private Status failure(GenerateRequest request) {
        var e = assertThrows(StatusRuntimeException.class, () -> client.generate(request).await().atMost(WAIT));
        return e.getStatus();
    }

    @Test
    void badRequestsGetTheirStatusCodes() {
        Status s = failure(greedy("Once", 20).toBuilder().setMaxTokens(-1).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
        assertTrue(s.getDescription().contains("max_tokens"), s.getDescription());

        s = failure(greedy("Once", 20).toBuilder().setSampling(SamplingOptions.newBuilder().setTemperature(Float.NaN)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
        assertTrue(s.getDescription().startsWith("temperature = NaN"), s.getDescription());

        s = failure(greedy("Once", 20).toBuilder().setSampling(SamplingOptions.newBuilder().setTopP(2)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
        assertTrue(s.getDescription().startsWith("top_p = 2.0"), s.getDescription());

        s = failure(greedy("Once", 20).toBuilder().setModel("gpt-4").build());
        assertEquals(Status.Code.NOT_FOUND, s.getCode());
        assertTrue(s.getDescription().contains("gpt-4"), s.getDescription());

        int ctx = service.contextSize();
        GenerateRequest tooLong = GenerateRequest.newBuilder().addPromptTokens(1)
                .addAllPromptTokens(IntStream.range(1, ctx).map(i -> 300).boxed().toList()).build();
        s = failure(tooLong);
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
        assertTrue(s.getDescription().contains(ctx + " tokens") && s.getDescription().contains("context holds " + ctx), s.getDescription());

        // The stream surface reports the same way.
        var e = assertThrows(StatusRuntimeException.class,
                () -> client.generateStream(tooLong).collect().asList().await().atMost(WAIT));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());

        var t = assertThrows(StatusRuntimeException.class,
                () -> client.tokenize(TokenizeRequest.newBuilder().setModel("nope").setText("x").build()).await().atMost(WAIT));
        assertEquals(Status.Code.NOT_FOUND, t.getStatus().getCode());
    }
}
