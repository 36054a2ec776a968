package dev.ember.server.grpc;

import dev.ember.server.ModelService;
import dev.ember.server.ServerMetrics;
import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.GenerateStreamResponse;
import dev.ember.server.grpc.v1.GenerationGrpc;
import dev.ember.server.grpc.v1.SamplingOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client cancelling a stream ends the engine's sequence and frees its KV blocks. */
@QuarkusTest
@TestProfile(LongContextProfile.class)
class GrpcCancellationTest {
    @GrpcClient("ember")
    Channel channel;

    @Inject
    ModelService service;

    @Inject
    ServerMetrics metrics;

    @Test
    void cancellingAStreamCancelsTheEngineSequence() throws Exception {
        long cancelledBefore = metrics.cancelledRequests();
        // ignore_eos and no useful max: the sequence would run until the context is full.
        GenerateRequest endless = GenerateRequest.newBuilder().setPrompt("Once upon a time").setMaxTokens(Integer.MAX_VALUE)
                .setIgnoreEos(true).setSampling(SamplingOptions.newBuilder().setTemperature(0)).build();
        List<GenerateStreamResponse> received = new CopyOnWriteArrayList<>();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        GenerationGrpc.newStub(channel).generateStream(endless, new ClientResponseObserver<GenerateRequest, GenerateStreamResponse>() {
            private ClientCallStreamObserver<GenerateRequest> call;

            @Override
            public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
                this.call = call;
            }

            @Override
            public void onNext(GenerateStreamResponse m) {
                received.add(m);
                if (received.size() == 3) call.cancel("enough", null);
            }

            @Override
            public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                closed.complete(Status.OK);
            }
        });
        assertEquals(Status.Code.CANCELLED, closed.get(60, TimeUnit.SECONDS).getCode());
        assertEquals(3, received.size());
        assertTrue(received.stream().allMatch(m -> m.getFinishReason().isEmpty()), "no message was the last one");
        for (int i = 0; i < 250 && (service.engine().running() > 0 || metrics.cancelledRequests() == cancelledBefore); i++) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertEquals(cancelledBefore + 1, metrics.cancelledRequests(), "the server saw the call cancelled, not completed");
        assertEquals(0, service.engine().running());
        assertEquals(0, service.engine().waiting());
        assertEquals(0, service.engine().usedBlocks(), "the sequence's KV blocks are free");
    }
}
