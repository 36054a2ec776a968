package dev.ember.server.grpc;

import dev.ember.engine.TokenEvent;
import dev.ember.server.ModelService;
import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.GenerateResponse;
import dev.ember.server.grpc.v1.GenerateStreamResponse;
import dev.ember.server.grpc.v1.Generation;
import dev.ember.server.grpc.v1.ListModelsRequest;
import dev.ember.server.grpc.v1.ListModelsResponse;
import dev.ember.server.grpc.v1.ModelInfo;
import dev.ember.server.grpc.v1.TokenizeRequest;
import dev.ember.server.grpc.v1.TokenizeResponse;
import dev.ember.server.grpc.v1.Usage;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.util.Arrays;

/**
 * ember.v1.Generation over gRPC (same port as REST). A thin surface: validate, submit to
 * {@link ModelService}, map token events to messages. A client cancelling a call cancels the
 * subscription, which ends the engine sequence at its next step and frees its KV blocks.
 */
@GrpcService
public class GenerationService implements Generation {
    private final ModelService service;

    public GenerationService(ModelService service) {
        this.service = service;
    }

    @Override
    public Uni<GenerateResponse> generate(GenerateRequest request) {
        return service.leasedUni(() -> Completion.collect(service.generate(GenerateRequests.toEngine(request, service))))
                .map(c -> GenerateResponse.newBuilder()
                        .setText(c.text())
                        .addAllTokens(Arrays.stream(c.tokens()).boxed().toList())
                        .setFinishReason(c.finishReason())
                        .setUsage(usage(c.promptTokens(), c.completionTokens()))
                        .build())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Multi<GenerateStreamResponse> generateStream(GenerateRequest request) {
        return service.leased(() -> service.generate(GenerateRequests.toEngine(request, service)))
                .map(GenerationService::message)
                .onFailure().transform(GrpcErrors::toStatus);
    }

    private static GenerateStreamResponse message(TokenEvent e) {
        GenerateStreamResponse.Builder m = GenerateStreamResponse.newBuilder().setText(e.text()).setToken(e.token());
        if (e.isLast()) m.setFinishReason(e.finishReason()).setUsage(usage(e.promptTokens(), e.completionTokens()));
        return m.build();
    }

    private static Usage usage(int prompt, int completion) {
        return Usage.newBuilder().setPromptTokens(prompt).setCompletionTokens(completion).setTotalTokens(prompt + completion).build();
    }

    @Override
    public Uni<TokenizeResponse> tokenize(TokenizeRequest request) {
        return service.leasedUni(() -> Uni.createFrom().item(() -> {
            service.checkModel(request.getModel());
            int[] ids = service.tokenizer().encode(request.getText(), request.getAddSpecial(), true);
            return TokenizeResponse.newBuilder().addAllTokens(Arrays.stream(ids).boxed().toList()).build();
        })).onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return service.leasedUni(() -> Uni.createFrom().item(() -> ListModelsResponse.newBuilder().addModels(ModelInfo.newBuilder()
                .setId(service.modelName())
                .setContextLength(service.contextSize())
                .setVocabSize(service.tokenizer().vocabSize())).build()))
                .onFailure().transform(GrpcErrors::toStatus);
    }
}
