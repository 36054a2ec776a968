package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U16Buffer;

/** out = x · wᵀ with f16 weights; x is rounded to f16 first (ggml's vec_dot_type for F16), so each product is exact. */
public final class MatmulF16 {
    private MatmulF16() {}

    /** Items per work-group, a power of two (the tree reduction halves it). */
    static final int LOCAL = 64;

    /**
     * w: [rows, cols] f16 bits; x: [n, cols] floats; out: [n, rows], out[t, r] = Σc w[r, c] · f16(x[t, c]).
     * One work-group per (r, t): item l sums columns l, l + 64, ..., then a shared-memory tree reduction.
     */
    @Kernel(barrier = true)
    public static void matmul(KernelContext ctx, U16Buffer w, F32Buffer x, F32Buffer out, int rows, int cols, int n) {
        float[] partial = ctx.localFloats(LOCAL);   // [64] per-item sums, reduced to partial[0]
        int r = ctx.groupId(0);
        int t = ctx.groupId(1);
        int l = ctx.localId(0);
        boolean live = r < rows && t < n;
        float sum = 0f;
        if (live) {
            int wo = r * cols;   // w[r, 0]
            int xo = t * cols;   // x[t, 0]
            for (int c = l; c < cols; c += LOCAL) {
                float xh = KernelMath.f16ToF32(KernelMath.f32ToF16(x.get(xo + c)));
                sum += KernelMath.f16ToF32(w.get(wo + c)) * xh;
            }
        }
        partial[l] = sum;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s >>= 1) {
            if (l < s) partial[l] += partial[l + s];
            ctx.barrier();
        }
        if (live && l == 0) out.set(t * rows + r, partial[0]);
    }

    /** One work-group of 64 items per (output row, token). */
    public static Launch launch(int rows, int n) {
        return Launch.of(rows, n, LOCAL);
    }
}
