package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/** out = x · wᵀ with f32 weights. */
public final class MatmulF32 {
    private MatmulF32() {}

    /** Items per work-group, a power of two (the tree reduction halves it). */
    static final int LOCAL = 64;

    /**
     * w: [rows, cols]; x: [n, cols]; out: [n, rows], out[t, r] = Σc w[r, c] · x[t, c].
     * One work-group per (r, t): item l sums columns l, l + 64, ... (adjacent items read adjacent columns), then a
     * shared-memory tree reduction adds the 64 partial sums.
     */
    @Kernel(barrier = true)
    public static void matmul(KernelContext ctx, F32Buffer w, F32Buffer x, F32Buffer out, int rows, int cols, int n) {
        float[] partial = ctx.localFloats(LOCAL);   // [64] per-item sums, reduced to partial[0]
        int r = ctx.groupId(0);
        int t = ctx.groupId(1);
        int l = ctx.localId(0);
        boolean live = r < rows && t < n;
        float sum = 0f;
        if (live) {
            int wo = r * cols;   // w[r, 0]
            int xo = t * cols;   // x[t, 0]
            for (int c = l; c < cols; c += LOCAL) sum += w.get(wo + c) * x.get(xo + c);
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
