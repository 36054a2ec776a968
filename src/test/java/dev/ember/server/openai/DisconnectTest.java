package dev.ember.server.openai;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 8 concurrent streams, half of them cut by the client after a few tokens: the server stays healthy,
 * the cut ones are cancelled in the engine (nothing left running, every KV block free) and counted as aborted.
 */
@QuarkusTest
class DisconnectTest {

    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static double abortedSoFar() {
        double total = 0;
        for (String line : given().get("/metrics").asString().split("\n")) {
            if (line.startsWith("ember:request_success_total{") && line.contains("finished_reason=\"abort\"")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    @Test
    void halfTheStreamsCutAfterAFewTokensLeaveNothingRunning() throws Exception {
        double abortedBefore = abortedSoFar();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String url = RestAssured.baseURI + ":" + RestAssured.port + "/v1/completions";
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            boolean cut = i % 2 == 0;
            String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":100,\"ignore_eos\":true,\"temperature\":0,\"stream\":true}";
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            results.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream()).thenApply(r -> {
                try (InputStream in = r.body();
                     BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    int events = 0;
                    for (String line; (line = reader.readLine()) != null; ) {
                        if (!line.startsWith("data: ")) continue;
                        events++;
                        if (cut && events == 3) return events; // closing the stream drops the connection
                        if (line.equals("data: [DONE]")) return events;
                    }
                    return events;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < 8; i++) {
            int events = results.get(i).get(60, TimeUnit.SECONDS);
            if (i % 2 == 0) assertEquals(3, events);
            else assertEquals(101, events, "100 token chunks and [DONE]");
        }
        String metrics = "";
        for (int tries = 0; tries < 100; tries++) {
            metrics = given().get("/metrics").asString();
            if (metric(metrics, "ember:num_requests_running") == 0 && abortedSoFar() - abortedBefore >= 4) break;
            TimeUnit.MILLISECONDS.sleep(50);
        }
        assertEquals(0.0, metric(metrics, "ember:num_requests_running"), "nothing left running");
        assertEquals(0.0, metric(metrics, "ember:kv_cache_usage_perc"), "every KV block back in the pool");
        assertEquals(4.0, abortedSoFar() - abortedBefore, "the four cut streams are counted as aborted");
        given().get("/health").then().statusCode(200);
        given().contentType("application/json").body("{\"prompt\":\"Once upon a time\",\"max_tokens\":4}").post("/v1/completions")
                .then().statusCode(200);
        assertTrue(metrics.contains("ember:num_requests_waiting"));
    }
}
