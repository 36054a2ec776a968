package dev.ember.server;

import dev.ember.engine.Engine;
import dev.ember.model.Model;
import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.Generation;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ember.idle-unload-seconds=1: after a second without requests the engine and model are closed (checked on
 * the objects: the engine refuses work, the GGUF mapping is released; RSS is not measured, the fixture model
 * is 1 MB); readiness stays UP; the next requests wait for the reload and succeed.
 */
@QuarkusTest
@TestProfile(IdleUnloadTest.OneSecond.class)
class IdleUnloadTest {
    public static class OneSecond implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.idle-unload-seconds", "1");
        }
    }

    @Inject
    ModelService service;

    @GrpcClient("ember")
    Generation grpc;

    private static final String COMPLETION = "{\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"temperature\":0}";

    @Test
    void unloadsWhenIdleAndTheNextRequestsWaitForTheReload() throws Exception {
        given().contentType(ContentType.JSON).body(COMPLETION).post("/v1/completions").then().statusCode(200)
                .body("choices[0].finish_reason", equalTo("length"));
        // The objects to watch, read under a lease: without one, a slow test thread (a loaded CI machine) can see the
        // model unloaded already, a second after that response. The app may also have unloaded once before this
        // test's first request (idle since start-up), and the lease reloads if the model is gone.
        Engine engine;
        Model model;
        long loads, unloads;
        try (ModelService.Lease lease = service.enter()) {
            lease.ready().get(60, TimeUnit.SECONDS);
            assertTrue(service.loaded());
            engine = service.engine();
            model = engine.model();
            loads = service.loads();
            unloads = service.unloads();
        }

        awaitUnloaded();
        assertTrue(engine.isClosed(), "the engine (and its KV cache) was closed");
        assertFalse(model.file().isOpen(), "the model file was unmapped");
        assertEquals(unloads + 1, service.unloads());
        // Readiness stays UP while unloaded: the server can answer, it reloads on demand.
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/health").then().statusCode(200);

        // Several requests at once while unloaded: all wait for one reload and succeed (REST and gRPC).
        List<CompletableFuture<Integer>> rest = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rest.add(CompletableFuture.supplyAsync(() -> given().contentType(ContentType.JSON).body(COMPLETION)
                    .post("/v1/completions").then().body("choices[0].text", notNullValue()).extract().statusCode()));
        }
        var viaGrpc = grpc.generate(GenerateRequest.newBuilder().setPrompt("Once upon a time").setMaxTokens(4).build())
                .await().atMost(Duration.ofSeconds(60));
        assertEquals(4, viaGrpc.getUsage().getCompletionTokens());
        for (CompletableFuture<Integer> f : rest) assertEquals(200, f.get(60, TimeUnit.SECONDS));
        assertTrue(service.loaded());
        assertNotSame(engine, service.engine());
        assertEquals(loads + 1, service.loads(), "one reload served all the waiting requests");

        // And it unloads again once idle.
        awaitUnloaded();
        assertEquals(unloads + 2, service.unloads());
    }

    private void awaitUnloaded() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (service.loaded() && System.nanoTime() < until) Thread.sleep(50);
        assertFalse(service.loaded(), "the model was unloaded after 1 s idle");
    }
}
