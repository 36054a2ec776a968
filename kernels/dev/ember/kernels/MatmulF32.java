package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * out = x · wᵀ with f32 weights, bit-identical to ggml_vec_dot_f32 on AVX2 (compute.cpu F32Matrix): 32 accumulator
 * lanes (element c in lane c mod 32) over the first cols & ~31 columns, GGML_F32x8_REDUCE, then the leftover columns
 * fused one by one into the float sum.
 */
public final class MatmulF32 {
    private MatmulF32() {}

    /** Items per work-group. */
    static final int LOCAL = 64;
    /** ggml_vec_dot_f32's accumulator lanes (GGML_F32_STEP): one item per lane. */
    static final int LANES = 32;
    /** Output rows per work-group: LOCAL / LANES. */
    static final int ROWS_PER_GROUP = 2;

    /**
     * w: [rows, cols]; x: [n, cols]; out: [n, rows], out[t, r] = Σc w[r, c] · x[t, c]. Item l of a group owns row
     * 2·group + l / 32 and accumulator lane k = l % 32 (columns k, k + 32, ... below cols & ~31, fused multiply-adds in
     * column order); item k == 0 then reduces the row's 32 lanes in ggml's order and adds the leftovers.
     */
    @Kernel(barrier = true)
    public static void matmul(KernelContext ctx, F32Buffer w, F32Buffer x, F32Buffer out, int rows, int cols, int n) {
        float[] partial = ctx.localFloats(LOCAL);   // [2 rows, 32 lanes]
        int l = ctx.localId(0);
        int r = ctx.groupId(0) * ROWS_PER_GROUP + l / LANES;
        int t = ctx.groupId(1);
        int k = l % LANES;
        boolean live = r < rows && t < n;
        int np = cols - cols % LANES;
        int wo = r * cols;   // w[r, 0]
        int xo = t * cols;   // x[t, 0]
        float acc = 0f;
        if (live) {
            for (int c = k; c < np; c += LANES) acc = KernelMath.fma(w.get(wo + c), x.get(xo + c), acc);
        }
        partial[l] = acc;
        ctx.barrier();
        if (live && k == 0) {
            float sum = GgmlReduce.reduce32(partial, l);   // GGML_F32x8_REDUCE of the row's 32 lanes
            for (int c = np; c < cols; c++) sum = KernelMath.fma(w.get(wo + c), x.get(xo + c), sum);
            out.set(t * rows + r, sum);
        }
    }

    /** One work-group of 64 items per 2 output rows and token. */
    public static Launch launch(int rows, int n) {
        return Launch.of((rows + ROWS_PER_GROUP - 1) / ROWS_PER_GROUP, n, LOCAL);
    }
}
