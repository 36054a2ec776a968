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
    /**
     * The Q8_0 file for the float-GEMM tests: its 64-wide activations are re-quantized to Q8_0 before every matmul, so a
     * last-bit difference between the two matmul paths flips roundings and moves logits by up to 0.2 (ARCHITECTURE.md):
     * a token computed on the other path than in its solo run changes greedy tokens here.
     */
    private static Model storiesQ8;

    @BeforeAll
    static void load() {
        stories = Model.load(Fixtures.model("stories260K-f32.gguf"));
        storiesQ8 = Model.load(Fixtures.model("stories260K-q8_0.gguf"));
    }

    @AfterAll
    static void close() {
        stories.close();
        storiesQ8.close();
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

    /**
     * Prompts past {@link dev.ember.model.Batch#EXACT_PROMPT_TOKENS} (22-30 tokens): their prompt tokens take the float
     * GEMM, their generated tokens the exact kernels, in batches that mix both with other sequences' tokens.
     */
    static String[] longPrompts() {
        String[] p = new String[PROMPTS.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = PROMPTS[i] + ". " + PROMPTS[(i + 5) % p.length] + " and " + PROMPTS[(i + 11) % p.length] + ". "
                    + PROMPTS[(i + 3) % p.length] + ".";
        }
        return p;
    }

    private void concurrentEqualsSolo(Engine.Config config, int maxTokens) {
        concurrentEqualsSolo(stories, config, maxTokens, PROMPTS);
    }

    private void concurrentEqualsSolo(Model stories, Engine.Config config, int maxTokens, String[] texts) {
        int[][] prompts = new int[texts.length][];
        int[][] expected = new int[texts.length][];
        for (int i = 0; i < texts.length; i++) {
            prompts[i] = stories.tokenizer().encode(texts[i], true, false);
            expected[i] = solo(stories, prompts[i], maxTokens);
        }
        try (Engine engine = new Engine(stories, config)) {
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (int[] p : prompts) {
                GenerationRequest r = new GenerationRequest(p, SamplingParams.greedy(), maxTokens, true, List.of(), -1);
                futures.add(start(engine.submit(r)));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(expected[i], futures.get(i).join(), "request " + i + " \"" + texts[i] + "\"");
            }
            // the requests did share steps (a check of running() + waiting() right after submitting raced the engine)
            assertTrue(engine.peakRunning() > 1, "peak running " + engine.peakRunning());
            assertEquals(0, engine.usedBlocks(), "every KV block is back in the pool");
        }
    }

    @Test
    void sixteenConcurrentGreedyRequestsEqualTheirSoloOutputs() {
        concurrentEqualsSolo(new Engine.Config(128, 16 * 128, 64, 512, 2, 16), 40);
    }

    /**
     * The synthetic Q4_0, Q4_K_M and Q6_K models run repacked: 16 decoding sequences (and the 16 short prompts' first step)
     * take the batched kernels ({@code Q4_0x8BatchKernel}, {@code Q4_Kx8BatchKernel}, {@code Q6_Kx8BatchKernel}), a solo
     * run the one-token ones.
     */
    @Test
    void sixteenConcurrentGreedyRequestsOnRepackedQuantsEqualTheirSoloOutputs() {
        for (String name : new String[] {"synth-llama-spm-256-q4_0.gguf", "synth-llama-spm-256-q4_k_m.gguf", "synth-llama-spm-256-q6_k.gguf"}) {
            try (Model m = Model.load(Fixtures.model(name))) {
                concurrentEqualsSolo(m, new Engine.Config(128, 16 * 128, 64, 512, 2, 16), 24, PROMPTS);
            }
        }
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

    /** Generated ids and, bit for bit, each one's log-probability. */
    private record Out(int[] tokens, int[] logprobBits) {}

    private static CompletableFuture<Out> startWithLogprobs(Multi<TokenEvent> stream) {
        return stream.collect().asList().subscribeAsCompletionStage().toCompletableFuture().thenApply(events -> {
            List<TokenEvent> ts = events.stream().filter(e -> e.token() >= 0).toList();
            return new Out(ts.stream().mapToInt(TokenEvent::token).toArray(),
                    ts.stream().mapToInt(e -> Float.floatToRawIntBits(e.logprobs().logprob())).toArray());
        });
    }

    /**
     * Each long prompt alone in an engine with the default token budget (its prompt in one chunk), then all 16 at once
     * under {@code config}: the same tokens and the same log-probabilities, bit for bit. A path chosen by batch size
     * instead of by token role fails this (checked by hand against such a variant of Engine.step).
     */
    private void longPromptsConcurrentEqualSolo(Engine.Config config, int maxTokens) {
        String[] texts = longPrompts();
        Out[] solo = new Out[texts.length];
        int[][] prompts = new int[texts.length][];
        try (Engine alone = new Engine(storiesQ8, new Engine.Config(128, 16 * 128, 64, 512, 2, 16))) {
            for (int i = 0; i < texts.length; i++) {
                prompts[i] = storiesQ8.tokenizer().encode(texts[i], true, false);
                assertTrue(prompts[i].length > dev.ember.model.Batch.EXACT_PROMPT_TOKENS && prompts[i].length <= 40,
                        texts[i] + ": " + prompts[i].length + " tokens");
                solo[i] = startWithLogprobs(alone.submit(new GenerationRequest(prompts[i], SamplingParams.greedy(), maxTokens,
                        true, List.of(), 1))).join();
            }
        }
        try (Engine engine = new Engine(storiesQ8, config)) {
            List<CompletableFuture<Out>> futures = new ArrayList<>();
            for (int[] p : prompts) {
                futures.add(startWithLogprobs(engine.submit(new GenerationRequest(p, SamplingParams.greedy(), maxTokens, true,
                        List.of(), 1))));
            }
            for (int i = 0; i < texts.length; i++) {
                Out got = futures.get(i).join();
                assertArrayEquals(solo[i].tokens(), got.tokens(), "request " + i + " tokens");
                assertArrayEquals(solo[i].logprobBits(), got.logprobBits(), "request " + i + " log-probabilities");
            }
            assertEquals(0, engine.usedBlocks(), "every KV block is back in the pool");
        }
    }

    @Test
    void longPromptsThroughTheFloatGemmEqualTheirSoloOutputs() {
        concurrentEqualsSolo(storiesQ8, new Engine.Config(128, 16 * 128, 64, 512, 2, 16), 24, longPrompts());
        longPromptsConcurrentEqualSolo(new Engine.Config(128, 16 * 128, 64, 512, 2, 16), 24);
    }

    @Test
    void longPromptsInChunksOfThreeTokensEqualTheirSoloOutputs() {
        longPromptsConcurrentEqualSolo(new Engine.Config(128, 16 * 128, 64, 3, 2, 16), 16);
    }

    /** Recomputed after a preemption, a sequence's generated tokens stay on the exact path and its prompt on the float one. */
    @Test
    void longPromptsUnderPreemptionEqualTheirSoloOutputs() {
        Engine.Config tiny = new Engine.Config(128, 160, 16, 64, 2, 4);
        longPromptsConcurrentEqualSolo(tiny, 24);
        assertPreempts(storiesQ8, tiny, longPrompts(), 24, "a 160-token pool for 16 x ~50 tokens must preempt");
    }

    @Test
    void preemptionsAreCountedWhenThePoolIsTiny() {
        assertPreempts(stories, new Engine.Config(128, 128, 16, 64, 2, 4), PROMPTS, 30,
                "a 128-token pool for 16 x ~35 tokens must preempt");
    }

    /** Runs every text at once under {@code config}: some sequence is preempted, and every KV block comes back. */
    private static void assertPreempts(Model m, Engine.Config config, String[] texts, int maxTokens, String why) {
        try (Engine engine = new Engine(m, config)) {
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (String p : texts) {
                int[] ids = m.tokenizer().encode(p, true, false);
                futures.add(start(engine.submit(new GenerationRequest(ids, SamplingParams.greedy(), maxTokens, true, List.of(), -1))));
            }
            futures.forEach(CompletableFuture::join);
            assertTrue(engine.preemptions() > 0, why);
            assertEquals(0, engine.usedBlocks());
        }
    }
}
