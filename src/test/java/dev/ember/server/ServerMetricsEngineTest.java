package dev.ember.server;

import dev.ember.engine.Engine;
import dev.ember.engine.GenerationRequest;
import dev.ember.model.Model;
import dev.ember.testing.Fixtures;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's metrics as Prometheus scrapes them, without booting the server. */
class ServerMetricsEngineTest {
    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ") || line.startsWith(series + "{")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        throw new AssertionError("no series " + series + " in\n" + scrape);
    }

    @Test
    void engineMetricsAreExportedUnderVllmNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServerMetrics metrics = new ServerMetrics(registry);
        try (Model stories = Model.load(Fixtures.model("stories260K-f32.gguf"));
             Engine engine = new Engine(stories, new Engine.Config(128, 512, 8, 512, 2, 16))) {
            metrics.bind(engine);
            int[] prompt = Arrays.copyOf(stories.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play", true, false), 36);
            for (int i = 0; i < 2; i++) {
                engine.submit(GenerationRequest.greedy(prompt, 5)).collect().asList().await().atMost(Duration.ofSeconds(30));
            }
            String scrape = registry.scrape();
            assertEquals(72, value(scrape, "ember:prefix_cache_queries_total"));
            assertEquals(32, value(scrape, "ember:prefix_cache_hits_total"), "the second request reuses 2 blocks of 16");
            assertEquals(0, value(scrape, "ember:num_preemptions_total"));
            assertEquals(0, value(scrape, "ember:kv_cache_usage_perc"));
            assertEquals(2, value(scrape, "ember:request_queue_time_seconds_count"));
            assertEquals(2, value(scrape, "ember:request_prefill_time_seconds_count"));
            assertEquals(2, value(scrape, "ember:request_decode_time_seconds_count"));
            assertEquals(36 + 4 + (36 - 32) + 4, value(scrape, "ember:iteration_tokens_total_sum"), "tokens run: prompts less hits, decodes");
            assertTrue(value(scrape, "ember:iteration_tokens_total_count") >= 10);
            assertTrue(scrape.contains("ember:iteration_tokens_total_bucket{le=\"16.0\""), scrape);
        }
    }
}
