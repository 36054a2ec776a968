package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/**
 * Index of each row's largest value, the lowest such index on ties (greedy sampling over logits). One
 * work-group per row: each item scans its strided columns, then a shared-memory tree reduction over
 * (value, index) pairs keeps the larger value, or the lower index when the values are equal.
 */
public final class Argmax {
    /** Items per work-group (a power of two: the tree reduction halves it). */
    static final int LOCAL = 256;
    /** Index of an item that saw no column: loses every tie. */
    static final int NONE = 2147483647;

    private Argmax() {}

    /** One group of {@link #LOCAL} items per row. */
    public static Launch launch(int rows) {
        return Launch.of(rows, LOCAL);
    }

    /** x [rows, n]; out [rows]. */
    @Kernel(barrier = true)
    public static void argmax(KernelContext ctx, F32Buffer x, I32Buffer out, int n) {
        int row = ctx.groupId(0);
        int lid = ctx.localId(0);
        float[] values = ctx.localFloats(LOCAL); // [LOCAL] best value seen by each item
        int[] indices = ctx.localInts(LOCAL);    // [LOCAL] its column
        int base = row * n;

        float best = Float.NEGATIVE_INFINITY;
        int bestIndex = NONE;
        for (int i = lid; i < n; i += LOCAL) {
            float v = x.get(base + i);
            // columns come in increasing order: only a strictly larger value replaces (or the first one)
            if (v > best || bestIndex == NONE) {
                best = v;
                bestIndex = i;
            }
        }
        values[lid] = best;
        indices[lid] = bestIndex;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s && better(values[lid + s], indices[lid + s], values[lid], indices[lid])) {
                values[lid] = values[lid + s];
                indices[lid] = indices[lid + s];
            }
            ctx.barrier();
        }
        if (lid == 0) out.set(row, indices[0]);
    }

    /** Whether (v, i) beats (w, j): a larger value, or an equal value at a lower index. */
    static boolean better(float v, int i, float w, int j) {
        return v > w || (v == w && i < j);
    }
}
