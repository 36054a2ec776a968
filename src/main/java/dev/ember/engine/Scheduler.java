package dev.ember.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Continuous batching in the vLLM v1 style: each step takes one batch under a token budget and a
 * sequence cap. Running sequences go first in arrival order (a decode step costs one token, an
 * unfinished prompt continues in chunks), then waiting ones are admitted first come, first served
 * while budget, seats and KV blocks last. When blocks run out, the newest running sequence is preempted:
 * its blocks are freed and it recomputes later from the front of the queue, so nobody fails for lack of room.
 */
final class Scheduler {
    /** One sequence's share of a step: compute tokens [start, start + count). */
    record Slice(Sequence seq, int start, int count) {}

    private final int maxNumSeqs;
    private final int maxNumBatchedTokens;
    final List<Sequence> running = new ArrayList<>();
    final Deque<Sequence> waiting = new ArrayDeque<>();
    volatile long preemptions;

    Scheduler(int maxNumSeqs, int maxNumBatchedTokens) {
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max-num-seqs must be >= 1, got " + maxNumSeqs);
        if (maxNumBatchedTokens < 1) throw new IllegalArgumentException("max-num-batched-tokens must be >= 1, got " + maxNumBatchedTokens);
        this.maxNumSeqs = maxNumSeqs;
        this.maxNumBatchedTokens = maxNumBatchedTokens;
    }

    List<Slice> schedule() {
        List<Slice> plan = new ArrayList<>();
        int budget = maxNumBatchedTokens;
        for (int i = 0; i < running.size() && budget > 0; i++) {
            Sequence s = running.get(i);
            int n = Math.min(s.pending(), budget);
            if (n == 0) continue;
            while (!s.table.tryReserve(s.numComputed + n)) {
                Sequence victim = running.get(running.size() - 1);
                preempt(victim);
                if (victim == s) break;
            }
            if (!running.contains(s)) break; // s itself was preempted: everything after it is newer
            plan.add(new Slice(s, s.numComputed, n));
            budget -= n;
        }
        while (!waiting.isEmpty() && running.size() < maxNumSeqs && budget > 0) {
            Sequence s = waiting.peekFirst();
            int n = Math.min(s.pending(), budget);
            if (!s.table.tryReserve(s.numComputed + n)) {
                s.table.release();
                break; // wait for blocks to come back
            }
            waiting.pollFirst();
            running.add(s);
            plan.add(new Slice(s, s.numComputed, n));
            budget -= n;
        }
        return plan;
    }

    /** Frees a running sequence's blocks and puts it back at the front of the queue to recompute. */
    void preempt(Sequence s) {
        running.remove(s);
        s.table.release();
        s.numComputed = 0;
        waiting.addFirst(s);
        preemptions++;
    }
}
