package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * RMS normalization of each row: {@code out = x / sqrt(mean(x²) + eps) * weight}, as {@code compute.cpu.Ops.rmsNorm}
 * (ggml's CPU rms_norm): squares rounded to float, summed in double, {@code mean = (float) (sum / n)}. Devices have no
 * double, so the sum is carried in float-float (double-single: an unevaluated sum hi + lo of two floats, about 48
 * significant bits, built with exact TwoSum steps; see {@link FloatFloat}). One work-group per row: each item sums its
 * strided squares in float-float, item 0 adds the items' partials in order, and the mean is rounded once to float
 * from the float-float sum. The float result equals the CPU's unless the exact mean lies within about 2⁻⁴⁰ (relative)
 * of a float rounding boundary.
 */
public final class RmsNorm {
    /** Items per work-group. */
    static final int LOCAL = 256;

    private RmsNorm() {}

    /** One group of {@link #LOCAL} items per row. */
    public static Launch launch(int rows) {
        return Launch.of(rows, LOCAL);
    }

    /**
     * x [rows, n], weight [n], out [rows, n]; out may be x (each item reads and writes only its own
     * columns after the sum, so in place is safe).
     */
    @Kernel(barrier = true)
    public static void rmsNorm(KernelContext ctx, F32Buffer x, F32Buffer weight, F32Buffer out, int n, float eps) {
        int row = ctx.groupId(0);
        int lid = ctx.localId(0);
        float[] partHi = ctx.localFloats(LOCAL); // [LOCAL] per-item float-float sums of squares: high parts
        float[] partLo = ctx.localFloats(LOCAL); // [LOCAL] low parts
        int base = row * n;
        float hi = 0f;
        float lo = 0f;
        for (int i = lid; i < n; i += LOCAL) {
            float v = x.get(base + i);
            float sq = v * v;
            // (hi, lo) += sq: TwoSum, then renormalize with FastTwoSum
            float s = hi + sq;
            float bb = s - hi;
            float e = (hi - (s - bb)) + (sq - bb);
            lo = lo + e;
            hi = s + lo;
            lo = lo - (hi - s);
        }
        partHi[lid] = hi;
        partLo[lid] = lo;
        ctx.barrier();
        if (lid == 0) {
            FloatFloat.sum(partHi, partLo, LOCAL);
            partHi[0] = FloatFloat.div(partHi[0], partLo[0], (float) n);
        }
        ctx.barrier();
        float mean = partHi[0];
        float scale = 1.0f / KernelMath.sqrt(mean + eps);
        for (int i = lid; i < n; i += LOCAL) {
            // scale first, then the weight: ggml's rms_norm and mul ops, in that order
            out.set(base + i, (x.get(base + i) * scale) * weight.get(i));
        }
    }
}
