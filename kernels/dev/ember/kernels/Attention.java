package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * Causal attention over the paged KV cache. One work-group per (head, token): its items score the
 * positions 0..pos of the token's sequence in strides (Q·K · scale into the {@code scores} scratch), a
 * shared-memory max and sum give the softmax, then each item computes output dimensions d = lid,
 * lid + LOCAL, ... as Σp prob[p] · V[p, d]. Every item writes and rereads only its own scores until the
 * sum reduction, whose barriers publish them to the group for the P·V pass.
 */
public final class Attention {
    /** Items per work-group (a power of two: the tree reductions halve it). */
    static final int LOCAL = 64;

    private Attention() {}

    /** Dimension 0: heads, dimension 1: tokens; {@link #LOCAL} items per group. */
    public static Launch launch(int tokens, int heads) {
        return Launch.of(heads, tokens, LOCAL);
    }

    /**
     * q [tokens, heads × headDim]; kCache, vCache [numSlots, kvHeads × headDim]; blocks: the block
     * tables of all sequences back to back, token t's starting at blockStart[t] [tokens]; positions
     * [tokens]; scores scratch [tokens × heads, maxContext]; out [tokens, heads × headDim].
     */
    @Kernel(barrier = true)
    public static void attention(KernelContext ctx, F32Buffer q, F32Buffer kCache, F32Buffer vCache,
                                 I32Buffer blocks, I32Buffer blockStart, I32Buffer positions,
                                 F32Buffer scores, F32Buffer out, int heads, int kvHeads, int headDim,
                                 int blockSize, int maxContext, float scale) {
        int h = ctx.groupId(0);
        int t = ctx.groupId(1);
        int lid = ctx.localId(0);
        float[] partial = ctx.localFloats(LOCAL); // [LOCAL] per-item max, then per-item sum

        int len = positions.get(t) + 1;
        int table = blockStart.get(t);
        int kvDim = kvHeads * headDim;
        int kvOff = (h / (heads / kvHeads)) * headDim; // GQA: this head's kv head
        int qOff = t * heads * headDim + h * headDim;
        int sOff = (t * heads + h) * maxContext;

        float max = Float.NEGATIVE_INFINITY;
        for (int p = lid; p < len; p += LOCAL) {
            int kOff = slot(blocks, table, p, blockSize) * kvDim + kvOff;
            float dot = 0f;
            for (int d = 0; d < headDim; d++) dot = KernelMath.fma(q.get(qOff + d), kCache.get(kOff + d), dot);
            float s = dot * scale;
            scores.set(sOff + p, s);
            max = KernelMath.max(max, s);
        }
        partial[lid] = max;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s) partial[lid] = KernelMath.max(partial[lid], partial[lid + s]);
            ctx.barrier();
        }
        float rowMax = partial[0];
        ctx.barrier(); // all items have read partial[0] before it is overwritten

        float sum = 0f;
        for (int p = lid; p < len; p += LOCAL) {
            float e = KernelMath.exp(scores.get(sOff + p) - rowMax);
            scores.set(sOff + p, e);
            sum += e;
        }
        partial[lid] = sum;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s) partial[lid] = partial[lid] + partial[lid + s];
            ctx.barrier();
        }
        float inv = 1.0f / partial[0];

        for (int d = lid; d < headDim; d += LOCAL) {
            float acc = 0f;
            for (int p = 0; p < len; p++) {
                int vOff = slot(blocks, table, p, blockSize) * kvDim + kvOff;
                acc = KernelMath.fma(scores.get(sOff + p), vCache.get(vOff + d), acc);
            }
            out.set(qOff + d, acc * inv);
        }
    }

    /** The cache slot of position p of the sequence whose block table starts at blocks[table]. */
    static int slot(I32Buffer blocks, int table, int p, int blockSize) {
        return blocks.get(table + p / blockSize) * blockSize + p % blockSize;
    }
}
