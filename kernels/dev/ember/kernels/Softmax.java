package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * In-place softmax of each row after scaling, {@code x = exp(scale·x − max) / Σ}, as {@code compute.cpu.Ops.softmax}
 * (ggml's soft_max): every exponential is ggml's vector exp ({@link VectorExp}), each 8-lane chunk is summed in float
 * in the AVX2 pairwise order (lanes past n are zeros), the chunk sums are added in double — here float-float (see
 * {@link FloatFloat}) — and x is multiplied by the float {@code 1 / Σ}. One work-group per row: a max reduction (exact
 * in any order), then each item takes whole chunks, and item 0 adds the items' float-float partials in order.
 */
public final class Softmax {
    /** Items per work-group (a power of two: the max reduction halves it). */
    static final int LOCAL = 256;

    private Softmax() {}

    /** One group of {@link #LOCAL} items per row. */
    public static Launch launch(int rows) {
        return Launch.of(rows, LOCAL);
    }

    /** x [rows, n], rewritten in place; each item only touches its own chunks of 8 columns. */
    @Kernel(barrier = true)
    public static void softmax(KernelContext ctx, F32Buffer x, int n, float scale) {
        int row = ctx.groupId(0);
        int lid = ctx.localId(0);
        float[] partHi = ctx.localFloats(LOCAL); // [LOCAL] per-item max, then per-item float-float sums: high parts
        float[] partLo = ctx.localFloats(LOCAL); // [LOCAL] low parts
        int base = row * n;
        int lanes = VectorExp.LANES;

        float max = Float.NEGATIVE_INFINITY;
        for (int c = lid * lanes; c < n; c += LOCAL * lanes) {
            for (int i = c; i < c + lanes && i < n; i++) {
                float v = x.get(base + i) * scale;
                x.set(base + i, v);
                max = KernelMath.max(max, v);
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
        for (int c = lid * lanes; c < n; c += LOCAL * lanes) {
            float chunk = expChunk(x, base, c, n, rowMax);
            // (hi, lo) += chunk: TwoSum, then renormalize with FastTwoSum
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
        for (int c = lid * lanes; c < n; c += LOCAL * lanes) {
            for (int i = c; i < c + lanes && i < n; i++) x.set(base + i, x.get(base + i) * inv);
        }
    }

    /**
     * The exps of one 8-lane chunk x[base + c .. base + c + 8) (cells past n count as 0, as ggml's masked padding),
     * stored back by {@link #expLane}, and their sum in hsum_float_8's order: ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
     */
    static float expChunk(F32Buffer x, int base, int c, int n, float max) {
        return GgmlReduce.hsum8(expLane(x, base, c, n, max), expLane(x, base, c + 1, n, max), expLane(x, base, c + 2, n, max),
                expLane(x, base, c + 3, n, max), expLane(x, base, c + 4, n, max), expLane(x, base, c + 5, n, max),
                expLane(x, base, c + 6, n, max), expLane(x, base, c + 7, n, max));
    }

    /** ggml's vector exp of x[base + i] − max stored back into x, or 0 for a lane past the end (a masked cell). */
    static float expLane(F32Buffer x, int base, int i, int n, float max) {
        if (i >= n) return 0f;
        float e = VectorExp.vexp(x.get(base + i) - max);
        x.set(base + i, e);
        return e;
    }
}
