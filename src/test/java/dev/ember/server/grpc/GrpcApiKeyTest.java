package dev.ember.server.grpc;

import dev.ember.server.grpc.v1.Generation;
import dev.ember.server.grpc.v1.ListModelsRequest;
import dev.ember.server.kserve.v2.GRPCInferenceService;
import dev.ember.server.kserve.v2.ModelMetadataRequest;
import dev.ember.server.kserve.v2.ServerLiveRequest;
import dev.ember.server.kserve.v2.ServerReadyRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.grpc.GrpcClientUtils;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With ember.api-key set, gRPC calls need {@code authorization: Bearer <key>}; liveness and readiness stay open. */
@QuarkusTest
@TestProfile(ApiKeyProfile.class)
class GrpcApiKeyTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @GrpcClient("ember")
    Generation client;

    @GrpcClient("kserve")
    GRPCInferenceService kserve;

    private static <T> T withAuthorization(T client, String value) {
        Metadata headers = new Metadata();
        headers.put(ApiKeyInterceptor.AUTHORIZATION, value);
        return GrpcClientUtils.attachHeaders(client, headers);
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void callsWithoutTheKeyAreUnauthenticated() {
        var e = assertThrows(StatusRuntimeException.class, () -> client.listModels(ListModelsRequest.getDefaultInstance()).await().atMost(WAIT));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("Bearer"), e.getStatus().getDescription());
        assertEquals(Status.Code.UNAUTHENTICATED, code(() -> withAuthorization(client, "Bearer wrong").listModels(ListModelsRequest.getDefaultInstance()).await().atMost(WAIT)));
        assertEquals(Status.Code.UNAUTHENTICATED, code(() -> withAuthorization(client, ApiKeyProfile.KEY).listModels(ListModelsRequest.getDefaultInstance()).await().atMost(WAIT)));
        assertEquals(Status.Code.UNAUTHENTICATED, code(() -> kserve.modelMetadata(ModelMetadataRequest.getDefaultInstance()).await().atMost(WAIT)));
    }

    @Test
    void callsWithTheKeyPass() {
        assertEquals(1, withAuthorization(client, "Bearer " + ApiKeyProfile.KEY).listModels(ListModelsRequest.getDefaultInstance())
                .await().atMost(WAIT).getModelsCount());
        assertEquals("stories260K-f32", withAuthorization(kserve, "bearer " + ApiKeyProfile.KEY)
                .modelMetadata(ModelMetadataRequest.getDefaultInstance()).await().atMost(WAIT).getName());
    }

    @Test
    void healthNeedsNoKey() {
        assertTrue(kserve.serverLive(ServerLiveRequest.getDefaultInstance()).await().atMost(WAIT).getLive());
        assertTrue(kserve.serverReady(ServerReadyRequest.getDefaultInstance()).await().atMost(WAIT).getReady());
    }
}
