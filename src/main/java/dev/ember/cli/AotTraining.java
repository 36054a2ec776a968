package dev.ember.cli;

import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.GenerateStreamResponse;
import dev.ember.server.grpc.v1.GenerationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.runtime.QuarkusApplication;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * {@code ember aot-train}: the training run of the AOT cache. The server starts exactly as {@code ember serve}
 * does, then this drives it the way clients do (REST completions and chat, plain and streamed; gRPC Generate and
 * GenerateStream; tokenize, models, health, metrics) and returns, which shuts Quarkus down through its normal
 * drain. The JVM, started by the launcher with {@code -XX:AOTCacheOutput}, writes the cache when it exits.
 * Every request must succeed: a run that fails exits 1, and the launcher then keeps no cache.
 */
public final class AotTraining implements QuarkusApplication {
    private static final Duration LOAD_WAIT = Duration.ofMinutes(2);

    @Override
    public int run(String... args) throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.port", Integer.class);
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        try {
            waitForModel(http, base);
            String json = "application/json";
            for (int round = 0; round < 3; round++) {
                expect(http, post(base + "/v1/completions",
                        "{\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0}"), "\"text\"");
                expect(http, post(base + "/v1/completions",
                        "{\"prompt\":\"The little dog\",\"max_tokens\":16,\"temperature\":0.8,\"seed\":" + round
                                + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"), "data: [DONE]");
                // a prompt past Batch.EXACT_PROMPT_TOKENS, so the prompt path (FloatGemm) is in the cache too
                expect(http, post(base + "/v1/completions",
                        "{\"prompt\":\"Once upon a time, there was a little girl named Lily. She liked to play in the park "
                                + "with her dog, and one day they found a big red ball under a tree.\",\"max_tokens\":4}"), "\"text\"");
                expect(http, post(base + "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"max_tokens\":8}"), "\"message\"");
                expect(http, post(base + "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hello\"}],"
                                + "\"max_tokens\":8,\"stream\":true,\"top_k\":40,\"top_p\":0.9}"), "data: [DONE]");
                expect(http, post(base + "/tokenize", "{\"prompt\":\"Once upon a time\"}"), "\"tokens\"");
                expect(http, HttpRequest.newBuilder(URI.create(base + "/v1/models")).header("Accept", json).GET(), "\"data\"");
                expect(http, HttpRequest.newBuilder(URI.create(base + "/metrics")).GET(), "ember:");
                grpc(port, round);
            }
            System.err.println("aot-train: training requests done (REST and gRPC); the JVM writes the AOT cache on exit");
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("aot-train: training run failed: " + e.getMessage());
            return 1;
        }
    }

    private static void waitForModel(HttpClient http, String base) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + LOAD_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // the port is not open yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the model did not load within " + LOAD_WAIT.toSeconds() + " s");
    }

    private static HttpRequest.Builder post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static void expect(HttpClient http, HttpRequest.Builder request, String mustContain) throws IOException, InterruptedException {
        HttpRequest r = request.timeout(Duration.ofMinutes(1)).build();
        HttpResponse<String> response = http.send(r, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 || !response.body().contains(mustContain)) {
            throw new IllegalStateException(r.method() + " " + r.uri().getPath() + " answered " + response.statusCode() + ": "
                    + response.body().lines().findFirst().orElse(""));
        }
    }

    private static void grpc(int port, int round) throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            GenerationGrpc.GenerationBlockingStub stub = GenerationGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
            GenerateRequest request = GenerateRequest.newBuilder().setPrompt("Once upon a time").setMaxTokens(16).build();
            if (stub.generate(request).getText().isEmpty()) throw new IllegalStateException("gRPC Generate returned no text");
            Iterator<GenerateStreamResponse> stream = stub.generateStream(request.toBuilder().setPrompt("Lily saw a bird " + round).build());
            int messages = 0;
            String finish = "";
            while (stream.hasNext()) {
                GenerateStreamResponse m = stream.next();
                messages++;
                finish = m.getFinishReason();
            }
            if (messages < 2 || finish.isEmpty()) {
                throw new IllegalStateException("gRPC GenerateStream sent " + messages + " messages, finish reason '" + finish + "'");
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
