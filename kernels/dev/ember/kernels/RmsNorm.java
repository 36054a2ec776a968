package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * RMS normalization of each row: {@code out = x / sqrt(mean(x²) + eps) * weight}. One work-group per row;
 * its items sum strided squares, then a shared-memory tree reduction gives the row's sum.
 */
public final class RmsNorm {
    /** Items per work-group (a power of two: the tree reduction halves it). */
    static final int LOCAL = 256;

    private RmsNorm() {}

    /** One group of {@link #LOCAL} items per row. */
    public static Launch launch(int rows) {
        return Launch.of(rows, LOCAL);
    }

    /**
     * x [rows, n], weight [n], out [rows, n]; out may be x (each item reads and writes only its own
     * columns, so in place is safe).
     */
    @Kernel(barrier = true)
    public static void rmsNorm(KernelContext ctx, F32Buffer x, F32Buffer weight, F32Buffer out, int n, float eps) {
        int row = ctx.groupId(0);
        int lid = ctx.localId(0);
        float[] partial = ctx.localFloats(LOCAL); // [LOCAL] per-item sums of squares
        int base = row * n;
        float sum = 0f;
        for (int i = lid; i < n; i += LOCAL) {
            float v = x.get(base + i);
            sum += v * v;
        }
        partial[lid] = sum;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s = s / 2) {
            if (lid < s) partial[lid] = partial[lid] + partial[lid + s];
            ctx.barrier();
        }
        float total = partial[0];
        float scale = 1.0f / KernelMath.sqrt(total / n + eps);
        for (int i = lid; i < n; i += LOCAL) {
            // scale first, then the weight: ggml's rms_norm and mul ops, in that order
            out.set(base + i, (x.get(base + i) * scale) * weight.get(i));
        }
    }
}
