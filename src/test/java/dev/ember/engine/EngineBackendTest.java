package dev.ember.engine;

import dev.ember.compute.BackendUnavailableException;
import dev.ember.model.Model;
import dev.ember.sampling.SamplingParams;
import dev.ember.testing.Fixtures;
import io.smallrye.mutiny.Multi;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The continuous-batching engine on a kernel backend: concurrent greedy requests (mixed prefill and decode
 * batches through the device KV cache and block tables, with prefix-cache sharing of the common prompt
 * start) produce the CPU backend's solo greedy tokens, and every KV block returns to the pool.
 */
class EngineBackendTest {
    static final String[] PROMPTS = {"Once upon a time", "Once upon a time there was", "The little dog", "Lily saw a big",
            "Tom and his mom", "One day, a cat"};

    @ParameterizedTest
    @ValueSource(strings = {"opencl", "cuda"})
    void concurrentRequestsOnADeviceEqualSoloCpuOutputs(String backend) {
        try (Model m = Model.load(Fixtures.model("stories260K-q8_0.gguf"))) {
            int maxTokens = 24;
            int[][] prompts = new int[PROMPTS.length][];
            int[][] expected = new int[PROMPTS.length][];
            for (int i = 0; i < PROMPTS.length; i++) {
                prompts[i] = m.tokenizer().encode(PROMPTS[i], true, false);
                try (Generator g = new Generator(m, 128, 1)) {
                    expected[i] = g.generate(prompts[i], SamplingParams.greedy(), maxTokens, true, t -> { }).tokens();
                }
            }
            Engine.Config config = new Engine.Config(128, 8 * 128, 64, 512, 2, 16).withBackend(backend);
            Engine engine;
            try {
                engine = new Engine(m, config);
            } catch (BackendUnavailableException e) {
                Assumptions.abort(backend + " backend unavailable: " + e.getMessage());
                return;
            }
            try (engine) {
                List<CompletableFuture<int[]>> futures = new ArrayList<>();
                for (int[] p : prompts) {
                    Multi<TokenEvent> stream = engine.submit(new GenerationRequest(p, SamplingParams.greedy(), maxTokens, true, List.of(), -1));
                    futures.add(stream.collect().asList().subscribeAsCompletionStage().toCompletableFuture()
                            .thenApply(ev -> ev.stream().filter(e -> e.token() >= 0).mapToInt(TokenEvent::token).toArray()));
                }
                for (int i = 0; i < prompts.length; i++) {
                    assertArrayEquals(expected[i], futures.get(i).join(), backend + " request " + i + " \"" + PROMPTS[i] + "\"");
                }
                assertEquals(0, engine.usedBlocks(), "every KV block is back in the pool");
            }
        }
    }
}
