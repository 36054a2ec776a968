package dev.ember.engine;

import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;

/**
 * Continuous batching in the vLLM v1 style: each step takes one batch under a token budget and a
 * sequence cap. Running sequences go first in arrival order (a decode step costs one token, an
 * unfinished prompt continues in chunks), then waiting ones are admitted first come, first served
 * while budget, seats and KV blocks last. The queue is strict FCFS: when its head does not fit, nobody
 * behind it is admitted, so a long prompt is never starved by a stream of short ones.
 *
 * <p>On admission a sequence first takes the cached blocks of its prefix from the {@link BlockManager};
 * those tokens count as computed and the budget is spent on the rest only. When blocks run out, the
 * newest running sequence is preempted: its blocks are released (the full ones usually stay cached)
 * and it recomputes later from the front of the queue, so nobody fails for lack of room.
 */
final class Scheduler {
    /** One sequence's share of a step: compute tokens [start, start + count). */
    record Slice(Sequence seq, int start, int count) {}

    private final int maxNumSeqs;
    private final int maxNumBatchedTokens;
    private final BlockManager blocks;
    final List<Sequence> running = new ArrayList<>();
    final LinkedList<Sequence> waiting = new LinkedList<>();
    volatile long preemptions;

    Scheduler(int maxNumSeqs, int maxNumBatchedTokens, BlockManager blocks) {
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max-num-seqs must be >= 1, got " + maxNumSeqs);
        if (maxNumBatchedTokens < 1) throw new IllegalArgumentException("max-num-batched-tokens must be >= 1, got " + maxNumBatchedTokens);
        this.maxNumSeqs = maxNumSeqs;
        this.maxNumBatchedTokens = maxNumBatchedTokens;
        this.blocks = blocks;
    }

    int maxNumSeqs() {
        return maxNumSeqs;
    }

    List<Slice> schedule() {
        List<Slice> plan = new ArrayList<>();
        int budget = maxNumBatchedTokens;
        for (int i = 0; i < running.size() && budget > 0; i++) {
            Sequence s = running.get(i);
            int n = Math.min(s.pending(), budget);
            if (n == 0) continue;
            while (!blocks.allocateSlots(s.table, s.numComputed, s.numComputed + n)) {
                Sequence victim = running.getLast();
                preempt(victim);
                if (victim == s) break;
            }
            if (!running.contains(s)) break; // s itself was preempted: everything after it is newer
            plan.add(new Slice(s, s.numComputed, n));
            budget -= n;
        }
        while (!waiting.isEmpty() && running.size() < maxNumSeqs && budget > 0) {
            Sequence s = waiting.peekFirst();
            int hit = blocks.matchPrefix(s.table, s.tokens, s.numTokens, s.hashes);
            s.numComputed = hit;
            s.numCachedBlocks = hit / blocks.blockSize();
            int n = Math.min(s.pending(), budget);
            if (!blocks.allocateSlots(s.table, s.numComputed, s.numComputed + n)) {
                s.table.release();
                s.resetComputed();
                break; // wait for blocks to come back
            }
            blocks.recordPrefixQuery(s.numTokens, hit);
            waiting.pollFirst();
            running.add(s);
            if (s.firstScheduledNanos == 0) s.firstScheduledNanos = System.nanoTime();
            plan.add(new Slice(s, s.numComputed, n));
            budget -= n;
        }
        return plan;
    }

    /** Frees a running sequence's blocks and puts it back at the front of the queue to recompute. */
    void preempt(Sequence s) {
        running.remove(s);
        s.table.release();
        s.resetComputed();
        waiting.addFirst(s);
        preemptions++;
    }
}
