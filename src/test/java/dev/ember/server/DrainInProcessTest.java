package dev.ember.server;

import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.GenerateStreamResponse;
import dev.ember.server.grpc.v1.Generation;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drain (what SIGTERM starts; see DrainSigtermTest for the real signal) driven in process, for gRPC:
 * a stream still running at the deadline ends with UNAVAILABLE "shutting_down", new calls get UNAVAILABLE,
 * REST gets 503 with an OpenAI error body and Retry-After, and readiness goes DOWN. Its own profile, so
 * the drained app is not reused by other tests.
 */
@QuarkusTest
@TestProfile(DrainInProcessTest.Own.class)
class DrainInProcessTest {
    public static class Own implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.drain-timeout", "PT0.1S");
        }
    }

    @Inject
    ModelService service;

    @GrpcClient("ember")
    Generation grpc;

    @Test
    void drainEndsRunningStreamsAtTheDeadlineAndRefusesNewWork() throws Exception {
        GenerateRequest longOne = GenerateRequest.newBuilder().setPrompt("Once").setMaxTokens(120).setIgnoreEos(true).build();
        List<GenerateStreamResponse> got = new CopyOnWriteArrayList<>();
        CountDownLatch first = new CountDownLatch(1);
        CompletableFuture<Throwable> end = new CompletableFuture<>();
        grpc.generateStream(longOne).subscribe().with(m -> {
            got.add(m);
            first.countDown();
        }, end::complete, () -> end.complete(null));
        assertTrue(first.await(60, TimeUnit.SECONDS));

        assertEquals(1, service.drainNow(Duration.ZERO), "the stream was still running at the (zero) deadline");
        Throwable failure = end.get(30, TimeUnit.SECONDS);
        assertTrue(failure instanceof StatusRuntimeException, "the stream ended with an error status, not silently: " + failure);
        Status st = ((StatusRuntimeException) failure).getStatus();
        assertEquals(Status.Code.UNAVAILABLE, st.getCode());
        assertTrue(st.getDescription().contains("drain timeout"), st.getDescription());
        assertTrue(got.size() < 120, "ended early, after " + got.size() + " tokens");

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> grpc.generate(longOne).await().atMost(Duration.ofSeconds(30)));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());

        given().contentType(ContentType.JSON).body("{\"prompt\":\"Once\",\"max_tokens\":4}").post("/v1/completions").then()
                .statusCode(503).header("Retry-After", "2")
                .body("error.code", equalTo("shutting_down")).body("error.type", equalTo("server_error"));
        given().get("/health").then().statusCode(503);
        given().get("/q/health/ready").then().statusCode(503);
    }
}
