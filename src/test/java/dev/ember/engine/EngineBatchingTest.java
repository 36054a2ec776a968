package dev.ember.engine;

import dev.ember.model.Model;
import dev.ember.sampling.SamplingParams;
import dev.ember.testing.Fixtures;
import io.smallrye.mutiny.Multi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous batching must not change results: concurrent greedy requests produce each request's solo
 * greedy tokens, also with chunked prefill and with preemption forced by a tiny KV pool.
 */
class EngineBatchingTest {
    private static Model stories;

    @BeforeAll
    static void load() {
        stories = Model.load(Fixtures.model("stories260K-f32.gguf"));
    }

    @AfterAll
    static void close() {
        stories.close();
    }

    static final String[] PROMPTS = {
            "Once upon a time", "The little dog", "Lily saw a big", "Tom and his mom", "One day, a cat",
            "The sun was", "A bird flew", "There was a girl", "The boy wanted", "In the park",
            "She said", "They played with", "The tree was tall", "He found a box", "Mom said no", "The ball",
    };

    private static int[] solo(Model m, int[] prompt, int maxTokens) {
        try (Generator g = new Generator(m, 128, 1)) {
            return g.generate(prompt, SamplingParams.greedy(), maxTokens, true, t -> { }).tokens();
        }
    }

    /** Subscribes now (so all requests are in flight together) and completes with the generated ids. */
    private static CompletableFuture<int[]> start(Multi<TokenEvent> stream) {
        return stream.collect().asList().subscribeAsCompletionStage().toCompletableFuture()
                .thenApply(events -> events.stream().filter(e -> e.token() >= 0).mapToInt(TokenEvent::token).toArray());
    }

    private void concurrentEqualsSolo(Engine.Config config, int maxTokens) {
        int[][] prompts = new int[PROMPTS.length][];
        int[][] expected = new int[PROMPTS.length][];
        for (int i = 0; i < PROMPTS.length; i++) {
            prompts[i] = stories.tokenizer().encode(PROMPTS[i], true, false);
            expected[i] = solo(stories, prompts[i], maxTokens);
        }
        try (Engine engine = new Engine(stories, config)) {
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (int[] p : prompts) {
                GenerationRequest r = new GenerationRequest(p, SamplingParams.greedy(), maxTokens, true, List.of(), -1);
                futures.add(start(engine.submit(r)));
            }
            assertTrue(engine.running() + engine.waiting() > 1 || futures.stream().allMatch(CompletableFuture::isDone));
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(expected[i], futures.get(i).join(), "request " + i + " \"" + PROMPTS[i] + "\"");
            }
            assertEquals(0, engine.usedBlocks(), "every KV block is back in the pool");
        }
    }

    @Test
    void sixteenConcurrentGreedyRequestsEqualTheirSoloOutputs() {
        concurrentEqualsSolo(new Engine.Config(128, 16 * 128, 64, 512, 2, 16), 40);
    }

    @Test
    void chunkedPrefillWithATinyTokenBudgetChangesNothing() {
        concurrentEqualsSolo(new Engine.Config(128, 16 * 128, 64, 3, 2, 16), 24);
    }

    @Test
    void preemptionUnderATinyKvPoolChangesNothing() {
        try (Engine probe = new Engine(stories, new Engine.Config(128, 128, 16, 64, 2, 4))) {
            // 128 tokens of KV for 16 sequences of ~30 tokens each: preemption is certain.
            assertEquals(32, probe.totalBlocks());
        }
        concurrentEqualsSolo(new Engine.Config(128, 128, 16, 64, 2, 4), 24);
    }

    @Test
    void preemptionsAreCountedWhenThePoolIsTiny() {
        try (Engine engine = new Engine(stories, new Engine.Config(128, 128, 16, 64, 2, 4))) {
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (String p : PROMPTS) {
                int[] ids = stories.tokenizer().encode(p, true, false);
                futures.add(start(engine.submit(new GenerationRequest(ids, SamplingParams.greedy(), 30, true, List.of(), -1))));
            }
            futures.forEach(CompletableFuture::join);
            assertTrue(engine.preemptions() > 0, "a 128-token pool for 16 x ~35 tokens must preempt");
            assertEquals(0, engine.usedBlocks());
        }
    }
}
