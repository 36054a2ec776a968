package dev.ember.engine;

import dev.ember.model.Model;
import dev.ember.sampling.SamplingParams;
import dev.ember.testing.Fixtures;
import io.smallrye.mutiny.Multi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prefix caching and forked siblings must not change results: with cache hits, copy-on-write, chunked
 * prefill across block boundaries and forced preemption, every request produces its solo tokens.
 */
class PrefixCachingTest {
    private static Model stories;
    private static Model synth;

    static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine."
            + " One day, she saw a big, red ball in the park. She ran to it and kicked it high into the sky.";
    static final String[] SUFFIXES = {
            " The dog", " Tom said", " Mom was happy", " A bird sang", " The sun", " They ran", " She smiled", " It was fun",
            " The cat", " He cried", " Lily laughed", " The tree", " A frog", " The end came", " Ben jumped", " The box",
    };

    @BeforeAll
    static void load() {
        stories = Model.load(Fixtures.model("stories260K-f32.gguf"));
        synth = Model.load(Fixtures.model("synth-llama-spm-256-q8_0.gguf"));
    }

    @AfterAll
    static void close() {
        stories.close();
        synth.close();
    }

    static int[] prefix(Model m, int n) {
        int[] ids = m.tokenizer().encode(TEXT, true, false);
        assertTrue(ids.length >= n, "the text has " + ids.length + " tokens");
        return Arrays.copyOf(ids, n);
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** 16 prompts: the same 40-token prefix, then a different short suffix each. */
    static int[][] sharedPrefixPrompts(Model m) {
        int[] p = prefix(m, 40);
        int[][] prompts = new int[SUFFIXES.length][];
        for (int i = 0; i < prompts.length; i++) prompts[i] = concat(p, m.tokenizer().encode(SUFFIXES[i], false, false));
        return prompts;
    }

    static int[] solo(Model m, int[] prompt, int maxTokens) {
        try (Generator g = new Generator(m, 256, 1)) {
            return g.generate(prompt, SamplingParams.greedy(), maxTokens, true, t -> { }).tokens();
        }
    }

    static CompletableFuture<int[]> start(Multi<TokenEvent> stream) {
        return stream.collect().asList().subscribeAsCompletionStage().toCompletableFuture()
                .thenApply(events -> events.stream().filter(e -> e.token() >= 0).mapToInt(TokenEvent::token).toArray());
    }

    static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return new GenerationRequest(prompt, SamplingParams.greedy(), maxTokens, true, List.of(), -1);
    }

    /**
     * Counts tokens run through the model, step by step; with a gate, the engine thread waits after each step until the
     * gate is open (at most 30 s), so a test can submit several requests before the engine moves on.
     */
    static final class TokenCount implements EngineObserver {
        final AtomicLong tokens = new AtomicLong();
        final AtomicLong finished = new AtomicLong();
        private final CountDownLatch gate;

        TokenCount() {
            this(new CountDownLatch(0));
        }

        TokenCount(CountDownLatch gate) {
            this.gate = gate;
        }

        @Override
        public void iteration(int n) {
            tokens.addAndGet(n);
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void requestFinished(long queueNanos, long prefillNanos, long decodeNanos) {
            assertTrue(queueNanos >= 0 && prefillNanos >= 0 && decodeNanos >= 0);
            finished.incrementAndGet();
        }
    }

    @Test
    void aSecondRequestWithTheSamePrefixComputesOnlyTheRest() {
        int[] p = prefix(stories, 40);
        int[] first = concat(p, stories.tokenizer().encode(" The dog", false, false));
        int[] second = concat(p, stories.tokenizer().encode(" Tom was sad", false, false));
        try (Engine e = new Engine(stories, new Engine.Config(128, 1024, 16, 512, 2, 16))) {
            TokenCount count = new TokenCount();
            e.setObserver(count);
            assertArrayEquals(solo(stories, first, 8), start(e.submit(greedy(first, 8))).join());
            assertEquals(first.length + 7, count.tokens.get(), "a cold cache computes the prompt and 7 decodes");
            assertEquals(0, e.prefixCacheHits());
            assertEquals(first.length, e.prefixCacheQueries());

            count.tokens.set(0);
            assertArrayEquals(solo(stories, second, 8), start(e.submit(greedy(second, 8))).join());
            assertEquals(32, e.prefixCacheHits(), "the prefix's 2 full blocks of 16");
            assertEquals(first.length + second.length, e.prefixCacheQueries());
            assertEquals(second.length - 32 + 7, count.tokens.get(), "only the tokens after the cached blocks are computed");
            assertEquals(2, count.finished.get());

            // An identical request reuses every full block of its prompt and recomputes the rest, at least
            // its last token (the logits to sample from are not cached, only K/V).
            count.tokens.set(0);
            assertArrayEquals(solo(stories, first, 8), start(e.submit(greedy(first, 8))).join());
            int hit = (first.length - 1) / 16 * 16;
            assertEquals(32 + hit, e.prefixCacheHits());
            assertEquals(first.length - hit + 7, count.tokens.get());
            assertEquals(0, e.usedBlocks());
            e.blocks().checkConsistency();
        }
    }

    private static void concurrentWithSharedPrefixEqualsSolo(Model m, Engine.Config config, int maxTokens, boolean expectHits,
                                                             boolean expectPreemption) {
        int[][] prompts = sharedPrefixPrompts(m);
        int[][] expected = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) expected[i] = solo(m, prompts[i], maxTokens);
        try (Engine engine = new Engine(m, config)) {
            // One request first, so the prefix is cached when the 16 arrive together.
            assertArrayEquals(expected[0], start(engine.submit(greedy(prompts[0], maxTokens))).join());
            long hitsBefore = engine.prefixCacheHits();
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (int[] p : prompts) futures.add(start(engine.submit(greedy(p, maxTokens))));
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(expected[i], futures.get(i).join(), "request " + i + " \"" + SUFFIXES[i] + "\"");
            }
            if (expectHits) {
                assertTrue(engine.prefixCacheHits() - hitsBefore >= 16 * 32,
                        "each of the 16 reuses the 2 cached prefix blocks: " + (engine.prefixCacheHits() - hitsBefore));
            }
            if (expectPreemption) assertTrue(engine.preemptions() > 0, "the pool is too small not to preempt");
            assertEquals(0, engine.usedBlocks(), "every KV block is back in the pool");
            engine.blocks().checkConsistency();
        }
    }

    @Test
    void sixteenConcurrentRequestsSharingA40TokenPrefixEqualTheirSoloOutputs() {
        concurrentWithSharedPrefixEqualsSolo(stories, new Engine.Config(128, 16 * 128, 64, 512, 2, 16), 24, true, false);
    }

    @Test
    void sharedPrefixOnTheQ8SynthModelEqualsSolo() {
        concurrentWithSharedPrefixEqualsSolo(synth, new Engine.Config(256, 16 * 128, 64, 512, 2, 16), 12, true, false);
    }

    @Test
    void chunkedPrefillAcrossBlockBoundariesWithPrefixHitsChangesNothing() {
        // 5-token chunks over 4-token blocks: chunks start and end inside blocks, hits end on block edges.
        concurrentWithSharedPrefixEqualsSolo(stories, new Engine.Config(128, 16 * 128, 64, 5, 2, 4), 12, true, false);
    }

    @Test
    void forcedPreemptionWithPrefixCachingChangesNothing() {
        // 16 sequences of ~45 + 16 tokens in a 160-token pool: preemption is certain, and resumed
        // sequences find their full blocks cached unless evicted meanwhile.
        concurrentWithSharedPrefixEqualsSolo(stories, new Engine.Config(128, 160, 16, 64, 2, 4), 16, false, true);
    }

    @Test
    void forcedPreemptionOnTheQ8SynthModelChangesNothing() {
        concurrentWithSharedPrefixEqualsSolo(synth, new Engine.Config(256, 192, 16, 64, 2, 16), 8, false, true);
    }

    @Test
    void aHashCollisionNeverGivesAnotherPromptsKv() {
        BlockHasher weak = (parent, tokens, from, count) -> 7L; // every block has the same hash
        int[] a = prefix(stories, 40);
        int[] b = a.clone();
        b[3] = b[3] == 300 ? 301 : 300; // differs inside block 0
        try (Engine e = new Engine(stories, new Engine.Config(128, 1024, 16, 512, 2, 16), weak)) {
            assertArrayEquals(solo(stories, a, 10), start(e.submit(greedy(a, 10))).join());
            assertArrayEquals(solo(stories, b, 10), start(e.submit(greedy(b, 10))).join());
            assertEquals(0, e.prefixCacheHits(), "b's block 0 has a's hash but not a's tokens");
            assertArrayEquals(solo(stories, a, 10), start(e.submit(greedy(a, 10))).join());
            assertEquals(16, e.prefixCacheHits(), "a's block 0 owns hash 7; block 1's lookup finds block 0 and rejects it");
            e.blocks().checkConsistency();
        }
    }

    @Test
    void siblingsWithTheSamePromptForkAndCopyThePartialBlockOnWrite() {
        int[] prompt = prefix(stories, 45); // 2 full blocks and 13 tokens in a partial third
        int n = 4;
        List<GenerationRequest> siblings = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SamplingParams params = i == 0 ? SamplingParams.greedy() : SamplingParams.builder().seed(100 + i).build();
            siblings.add(new GenerationRequest(prompt, params, 20, true, List.of(), -1));
        }
        // Budget 2 a step: the leader's prefill takes 23 steps, and the engine waits after its first step until every
        // sibling is submitted (the gate), so all siblings arrive before it samples.
        Engine.Config config = new Engine.Config(128, 16 * 128, 16, 2, 2, 16);
        int[][] expected = new int[n][];
        try (Engine reference = new Engine(stories, config.withPrefixCaching(false))) {
            for (int i = 0; i < n; i++) expected[i] = start(reference.submit(siblings.get(i))).join();
        }
        assertArrayEquals(solo(stories, prompt, 20), expected[0]);
        try (Engine e = new Engine(stories, config)) {
            CountDownLatch submitted = new CountDownLatch(1);
            TokenCount count = new TokenCount(submitted);
            e.setObserver(count);
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            for (GenerationRequest r : siblings) futures.add(start(e.submit(r)));
            submitted.countDown();
            for (int i = 0; i < n; i++) assertArrayEquals(expected[i], futures.get(i).join(), "sibling " + i);
            assertEquals(n - 1, e.blocks().copiesOnWrite(), "all but the last writer copy the shared partial block");
            assertEquals(prompt.length + n * 19, count.tokens.get(), "the prompt is computed once for all " + n);
            assertEquals(0, e.usedBlocks());
            e.blocks().checkConsistency();
        }
        boolean diverged = false;
        for (int i = 2; i < n; i++) diverged |= !Arrays.equals(expected[1], expected[i]);
        assertTrue(diverged, "different seeds sample different continuations");
    }

    @Test
    void aCancelledLeaderHandsItsFollowersOn() {
        int[] prompt = prefix(stories, 45);
        Engine.Config config = new Engine.Config(128, 16 * 128, 16, 1, 2, 16);
        int[] expected = solo(stories, prompt, 12);
        try (Engine e = new Engine(stories, config)) {
            var leader = e.submit(greedy(prompt, 12)).subscribe().with(ev -> { });
            List<CompletableFuture<int[]>> followers = new ArrayList<>();
            for (int i = 0; i < 3; i++) followers.add(start(e.submit(greedy(prompt, 12))));
            try {
                Thread.sleep(5); // usually mid-prefill (45 steps of 1 token); any moment must work
            } catch (InterruptedException ex) {
                throw new AssertionError(ex);
            }
            leader.cancel();
            for (CompletableFuture<int[]> f : followers) assertArrayEquals(expected, f.join());
            assertEquals(0, e.usedBlocks());
            e.blocks().checkConsistency();
        }
    }

    @Test
    void aRequestThatCanNeverFitThePoolIsRefusedWithTheNumbers() {
        // 64 tokens of KV (4 blocks of 16) under a 128-token context.
        try (Engine e = new Engine(stories, new Engine.Config(128, 64, 16, 64, 2, 16))) {
            int[] prompt = prefix(stories, 10);
            var ex = assertThrows(IllegalArgumentException.class, () -> e.submit(greedy(prompt, 100)));
            assertTrue(ex.getMessage().contains("10 tokens") && ex.getMessage().contains("109 tokens")
                    && ex.getMessage().contains("holds 64 tokens"), ex.getMessage());
            assertArrayEquals(solo(stories, prompt, 40), start(e.submit(greedy(prompt, 40))).join(), "49 tokens fit");
        }
    }

    @Test
    void disabledPrefixCachingNeverHits() {
        int[] p = prefix(stories, 40);
        try (Engine e = new Engine(stories, new Engine.Config(128, 1024, 16, 512, 2, 16).withPrefixCaching(false))) {
            start(e.submit(greedy(p, 4))).join();
            start(e.submit(greedy(p, 4))).join();
            assertEquals(0, e.prefixCacheHits());
            assertFalse(e.blocks().prefixCaching());
        }
    }
}
