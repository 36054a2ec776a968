package dev.ember.engine;

import dev.ember.model.F32KvCache;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler without a model: steps are simulated (computed tokens advance, a token is appended when
 * a sequence's pending tokens are done). First come, first served, and nobody starves.
 */
class SchedulerTest {
    private long ids;

    private Sequence seq(BlockManager blocks, int promptLength, int firstToken, int maxTokens) {
        int[] prompt = new int[promptLength];
        for (int i = 0; i < promptLength; i++) prompt[i] = firstToken + i;
        return new Sequence(++ids, GenerationRequest.greedy(prompt, maxTokens), blocks, 1000, null, new EventSink() {
            @Override public void event(TokenEvent e) {}
            @Override public void fail(Throwable t) {}
        });
    }

    /** Runs one planned step: K/V computed, a token sampled where the slice reached the end, finished ones leave. */
    private static List<Scheduler.Slice> step(Scheduler s, BlockManager blocks, List<Sequence> admitted) {
        List<Scheduler.Slice> plan = s.schedule();
        for (Scheduler.Slice sl : plan) {
            Sequence q = sl.seq();
            if (!admitted.contains(q)) admitted.add(q);
            assertEquals(q.numComputed, sl.start());
            q.numComputed += sl.count();
            q.numCachedBlocks = blocks.cacheFullBlocks(q.table, q.tokens, q.numComputed, q.hashes, q.numCachedBlocks);
            if (q.numComputed == q.numTokens) {
                q.append(7);
                if (q.generated >= q.request.maxTokens()) {
                    s.running.remove(q);
                    q.table.release();
                }
            }
        }
        return plan;
    }

    @Test
    void aLongPromptArrivingFirstIsNotStarvedByAStreamOfShortOnes() {
        BlockManager blocks = new BlockManager(new F32KvCache(1, 2, 4, 256), BlockHasher.sha256(), true);
        Scheduler s = new Scheduler(8, 8, blocks);
        Sequence big = seq(blocks, 40, 0, 3);
        s.waiting.add(big);
        List<Sequence> arrivals = new ArrayList<>(List.of(big));
        List<Sequence> admitted = new ArrayList<>();
        int prefillSteps = 0;
        for (int t = 0; t < 80; t++) {
            for (int k = 0; k < 2 && t < 30; k++) { // two short requests arrive every step
                Sequence shortOne = seq(blocks, 3, 100 * (t + 1) + 10 * k, 2);
                s.waiting.add(shortOne);
                arrivals.add(shortOne);
            }
            boolean prefilling = big.generated == 0;
            List<Scheduler.Slice> plan = step(s, blocks, admitted);
            if (prefilling) {
                prefillSteps++;
                assertEquals(big, plan.getFirst().seq(), "the long prompt is scheduled first in step " + t);
            }
        }
        assertEquals(5, prefillSteps, "40 prompt tokens at 8 a step");
        assertEquals(arrivals.size(), admitted.size(), "everyone got in");
        assertEquals(arrivals, admitted, "in arrival order");
        assertEquals(0, blocks.usedBlocks());
        blocks.checkConsistency();
    }

    @Test
    void whenBlocksAreShortTheHeadOfTheQueueIsNotOvertaken() {
        // 16 blocks of 4; short requests hold 4 blocks each while they run; the long one needs 12 at once.
        BlockManager blocks = new BlockManager(new F32KvCache(1, 2, 4, 16), BlockHasher.sha256(), true);
        Scheduler s = new Scheduler(8, 64, blocks);
        List<Sequence> arrivals = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Sequence q = seq(blocks, 8, 1000 + 10 * i, 6);
            s.waiting.add(q);
            arrivals.add(q);
        }
        Sequence big = seq(blocks, 48, 0, 2);
        List<Sequence> admitted = new ArrayList<>();
        step(s, blocks, admitted); // the four short ones start
        s.waiting.add(big);
        arrivals.add(big);
        for (int t = 0; t < 40; t++) {
            if (t < 20) {
                Sequence q = seq(blocks, 4, 2000 + 10 * t, 3);
                s.waiting.add(q);
                arrivals.add(q);
            }
            step(s, blocks, admitted);
        }
        assertTrue(admitted.contains(big), "the long prompt got its blocks");
        assertEquals(arrivals, admitted, "nobody behind it was admitted first");
        assertEquals(0, blocks.usedBlocks());
        blocks.checkConsistency();
    }

    @Test
    void preemptedSequencesResumeFromTheQueueFrontAndReuseTheirCachedBlocks() {
        // 9 blocks of 4: two sequences of 12-token prompts growing to 20 computed tokens (5 blocks) cannot both stay.
        BlockManager blocks = new BlockManager(new F32KvCache(1, 2, 4, 9), BlockHasher.sha256(), true);
        Scheduler s = new Scheduler(8, 64, blocks);
        Sequence a = seq(blocks, 12, 0, 9);
        Sequence b = seq(blocks, 12, 500, 9);
        s.waiting.add(a);
        s.waiting.add(b);
        List<Sequence> admitted = new ArrayList<>();
        for (int t = 0; t < 40 && (a.generated < 9 || b.generated < 9); t++) step(s, blocks, admitted);
        assertEquals(9, a.generated);
        assertEquals(9, b.generated);
        assertTrue(s.preemptions > 0, "5 + 5 blocks do not fit 9");
        assertTrue(blocks.prefixCacheHits() > 0, "the preempted one found its full blocks on resume");
        assertEquals(0, blocks.usedBlocks());
        blocks.checkConsistency();
    }
}
