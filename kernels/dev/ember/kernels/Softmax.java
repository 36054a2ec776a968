package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * In-place softmax of each row after scaling: {@code x = exp(scale·x − max) / Σ}. One work-group per row:
 * a shared-memory max reduction, then a sum reduction of the exponentials.
 */
public final class Softmax {
    /** Items per work-group (a power of two: the tree reductions halve it). */
    static final int LOCAL = 256;

    private Softmax() {}

    /** One group of {@link #LOCAL} items per row. */
    public static Launch launch(int rows) {
        return Launch.of(rows, LOCAL);
    }

    /** x [rows, n], rewritten in place; each item only touches its own strided columns. */
    @Kernel(barrier = true)
    public static void softmax(KernelContext ctx, F32Buffer x, int n, float scale) {
        int row = ctx.groupId(0);
        int lid = ctx.localId(0);
        float[] partial = ctx.localFloats(LOCAL); // [LOCAL] per-item max, then per-item sum
        int base = row * n;

        float max = Float.NEGATIVE_INFINITY;
        for (int i = lid; i < n; i += LOCAL) max = KernelMath.max(max, x.get(base + i) * scale);
        partial[lid] = max;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s) partial[lid] = KernelMath.max(partial[lid], partial[lid + s]);
            ctx.barrier();
        }
        float rowMax = partial[0];
        ctx.barrier(); // all items have read partial[0] before it is overwritten

        float sum = 0f;
        for (int i = lid; i < n; i += LOCAL) {
            float e = KernelMath.exp(x.get(base + i) * scale - rowMax);
            x.set(base + i, e);
            sum += e;
        }
        partial[lid] = sum;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s) partial[lid] = partial[lid] + partial[lid + s];
            ctx.barrier();
        }
        float inv = 1.0f / partial[0];
        for (int i = lid; i < n; i += LOCAL) x.set(base + i, x.get(base + i) * inv);
    }
}
