package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * Causal attention over the paged KV cache, in the float orders of {@code model.ModelRunner.attention} (ggml's CPU
 * flash-free path): each score is ggml_vec_dot_f32 of K and Q (32 fma lanes, element i in lane i mod 32, the
 * GGML_F32x8_REDUCE tree, then the tail past the last multiple of 32 in order), the softmax is
 * {@code compute.cpu.Ops.softmax} as in {@link Softmax} (scale applied inside, ggml's vector exp, pairwise 8-lane
 * chunk sums, their double sum carried in float-float, x·(1/Σ)), and each output dimension d is Σt p[t]·V[t, d]
 * accumulated in 32 fma lanes (position t in lane t mod 32, ascending t) then the same reduce.
 *
 * <p>One work-group per (head, token). Its items take chunks of 8 positions (chunk c = lid, lid + LOCAL, ...):
 * they score them into the {@code scores} scratch, a max reduction gives the row max, they turn their chunks into
 * exponentials and float-float chunk sums, item 0 adds the items' partials; then each item computes output
 * dimensions d = lid, lid + LOCAL, ... lane by lane. The barriers of the reductions publish the scores (a global
 * scratch) to the whole group before the P·V pass.
 */
public final class Attention {
    /** Items per work-group (a power of two: the max reduction halves it). */
    static final int LOCAL = 64;

    /** ggml_vec_dot_f32's accumulator lanes: four 8-wide AVX registers. */
    static final int LANES = 32;

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
        float[] partHi = ctx.localFloats(LOCAL); // [LOCAL] per-item max, then per-item float-float sums: high parts
        float[] partLo = ctx.localFloats(LOCAL); // [LOCAL] low parts
        int chunkLanes = VectorExp.LANES;

        int len = positions.get(t) + 1;
        int table = blockStart.get(t);
        int kvDim = kvHeads * headDim;
        int kvOff = (h / (heads / kvHeads)) * headDim; // GQA: this head's kv head
        int qOff = t * heads * headDim + h * headDim;
        int sOff = (t * heads + h) * maxContext;

        // scores: the softmax's scaled inputs dot · scale, as Ops.softmax stores them
        float max = Float.NEGATIVE_INFINITY;
        for (int c = lid * chunkLanes; c < len; c += LOCAL * chunkLanes) {
            for (int p = c; p < c + chunkLanes && p < len; p++) {
                int kOff = slot(blocks, table, p, blockSize) * kvDim + kvOff;
                float s = vecDot(kCache, kOff, q, qOff, headDim) * scale;
                scores.set(sOff + p, s);
                max = KernelMath.max(max, s);
            }
        }
        partHi[lid] = max;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s) partHi[lid] = KernelMath.max(partHi[lid], partHi[lid + s]);
            ctx.barrier();
        }
        float rowMax = partHi[0];
        ctx.barrier(); // all items have read partHi[0] before it is overwritten

        float hi = 0f;
        float lo = 0f;
        for (int c = lid * chunkLanes; c < len; c += LOCAL * chunkLanes) {
            float chunk = Softmax.expChunk(scores, sOff, c, len, rowMax);
            float s = hi + chunk;
            float bb = s - hi;
            float e = (hi - (s - bb)) + (chunk - bb);
            lo = lo + e;
            hi = s + lo;
            lo = lo - (hi - s);
        }
        partHi[lid] = hi;
        partLo[lid] = lo;
        ctx.barrier();
        if (lid == 0) {
            FloatFloat.sum(partHi, partLo, LOCAL);
            partHi[0] = FloatFloat.reciprocal(partHi[0], partLo[0]);
        }
        ctx.barrier();
        float inv = partHi[0];

        for (int d = lid; d < headDim; d += LOCAL) {
            float r0 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 0);
            float r1 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 1);
            float r2 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 2);
            float r3 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 3);
            float r4 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 4);
            float r5 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 5);
            float r6 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 6);
            float r7 = quadPv(vCache, scores, sOff, blocks, table, blockSize, kvDim, kvOff + d, len, inv, 7);
            out.set(qOff + d, GgmlReduce.reduce8(r0, r1, r2, r3, r4, r5, r6, r7));
        }
    }

    /** The cache slot of position p of the sequence whose block table starts at blocks[table]. */
    static int slot(I32Buffer blocks, int table, int p, int blockSize) {
        return blocks.get(table + p / blockSize) * blockSize + p % blockSize;
    }

    /**
     * ggml_vec_dot_f32(n, x, y) as {@code compute.cpu.GgmlDot.vecDotF32}: the first n & ~31 elements in 32 fma lanes
     * reduced by GGML_F32x8_REDUCE, then the rest fma'd in order onto that sum.
     */
    static float vecDot(F32Buffer x, int xo, F32Buffer y, int yo, int n) {
        int np = n - n % LANES;
        float sum = 0f;
        if (np > 0) {
            float r0 = quadDot(x, xo, y, yo, np, 0);
            float r1 = quadDot(x, xo, y, yo, np, 1);
            float r2 = quadDot(x, xo, y, yo, np, 2);
            float r3 = quadDot(x, xo, y, yo, np, 3);
            float r4 = quadDot(x, xo, y, yo, np, 4);
            float r5 = quadDot(x, xo, y, yo, np, 5);
            float r6 = quadDot(x, xo, y, yo, np, 6);
            float r7 = quadDot(x, xo, y, yo, np, 7);
            sum = GgmlReduce.reduce8(r0, r1, r2, r3, r4, r5, r6, r7);
        }
        for (int i = np; i < n; i++) sum = KernelMath.fma(x.get(xo + i), y.get(yo + i), sum);
        return sum;
    }

    /** Lane j of the first REDUCE step: (acc[j] + acc[j+16]) + (acc[j+8] + acc[j+24]) of the dot's 32 lanes. */
    static float quadDot(F32Buffer x, int xo, F32Buffer y, int yo, int np, int j) {
        return (laneDot(x, xo, y, yo, np, j) + laneDot(x, xo, y, yo, np, j + 16))
                + (laneDot(x, xo, y, yo, np, j + 8) + laneDot(x, xo, y, yo, np, j + 24));
    }

    /** Accumulator lane of the dot: fma over elements lane, lane + 32, ... below np, in order. */
    static float laneDot(F32Buffer x, int xo, F32Buffer y, int yo, int np, int lane) {
        float acc = 0f;
        for (int i = lane; i < np; i += LANES) acc = KernelMath.fma(x.get(xo + i), y.get(yo + i), acc);
        return acc;
    }

    /** Lane j of the first REDUCE step over the P·V accumulators of one output dimension. */
    static float quadPv(F32Buffer v, F32Buffer scores, int sOff, I32Buffer blocks, int table, int blockSize,
                        int kvDim, int vCol, int len, float inv, int j) {
        return (lanePv(v, scores, sOff, blocks, table, blockSize, kvDim, vCol, len, inv, j)
                + lanePv(v, scores, sOff, blocks, table, blockSize, kvDim, vCol, len, inv, j + 16))
                + (lanePv(v, scores, sOff, blocks, table, blockSize, kvDim, vCol, len, inv, j + 8)
                + lanePv(v, scores, sOff, blocks, table, blockSize, kvDim, vCol, len, inv, j + 24));
    }

    /**
     * P·V accumulator lane of one output dimension (column vCol of the cache rows): fma of V[p, d] and
     * p = exp · (1/Σ) over positions lane, lane + 32, ... below len, in order.
     */
    static float lanePv(F32Buffer v, F32Buffer scores, int sOff, I32Buffer blocks, int table, int blockSize,
                        int kvDim, int vCol, int len, float inv, int lane) {
        float acc = 0f;
        for (int p = lane; p < len; p += LANES) {
            float prob = scores.get(sOff + p) * inv;
            acc = KernelMath.fma(v.get(slot(blocks, table, p, blockSize) * kvDim + vCol), prob, acc);
        }
        return acc;
    }
}
