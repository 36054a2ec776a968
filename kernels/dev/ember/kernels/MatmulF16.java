package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U16Buffer;

/**
 * out = x · wᵀ with f16 weights; x is rounded to f16 first (ggml's vec_dot_type for F16), so each product is exact.
 * Bit-identical to ggml_vec_dot_f16 on AVX2/F16C (compute.cpu F16Matrix): 32 float accumulator lanes (element c in
 * lane c mod 32, fused multiply-adds) over the first cols & ~31 columns, GGML_F32x8_REDUCE, then the leftover products
 * added into a double (ggml_float) sum that is finally rounded to float. There is no double on the device: the
 * leftovers are summed as an exact float-float pair (TwoSum), which equals ggml's double sum whenever the running sum
 * needs at most ~48 significant bits (always for sums whose terms span fewer than 2^48 in magnitude; cols % 32 != 0
 * only).
 */
public final class MatmulF16 {
    private MatmulF16() {}

    /** Items per work-group. */
    static final int LOCAL = 64;
    /** ggml_vec_dot_f16's accumulator lanes (GGML_F16_STEP): one item per lane. */
    static final int LANES = 32;
    /** Output rows per work-group: LOCAL / LANES. */
    static final int ROWS_PER_GROUP = 2;

    /**
     * w: [rows, cols] f16 bits; x: [n, cols] floats; out: [n, rows], out[t, r] = Σc w[r, c] · f16(x[t, c]). Item l of
     * a group owns row 2·group + l / 32 and accumulator lane k = l % 32; item k == 0 then reduces the row's lanes in
     * ggml's order and adds the leftovers.
     */
    @Kernel(barrier = true)
    public static void matmul(KernelContext ctx, U16Buffer w, F32Buffer x, F32Buffer out, int rows, int cols, int n) {
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
            for (int c = k; c < np; c += LANES) {
                float xh = KernelMath.f16ToF32(KernelMath.f32ToF16(x.get(xo + c)));
                acc = KernelMath.fma(KernelMath.f16ToF32(w.get(wo + c)), xh, acc);
            }
        }
        partial[l] = acc;
        ctx.barrier();
        if (live && k == 0) {
            float hi = GgmlReduce.reduce32(partial, l);   // GGML_F32x8_REDUCE of the row's 32 lanes
            float lo = 0f;   // hi + lo: ggml's double sum, exactly
            for (int c = np; c < cols; c++) {
                float p = KernelMath.f16ToF32(w.get(wo + c)) * KernelMath.f16ToF32(KernelMath.f32ToF16(x.get(xo + c)));   // exact
                // TwoSum(hi, p) = s + e exactly; then e + lo, renormalized by a second TwoSum
                float s = hi + p;
                float bv = s - hi;
                float e = (hi - (s - bv)) + (p - bv);
                float f = e + lo;
                hi = s + f;
                float bw = hi - s;
                lo = (s - (hi - bw)) + (f - bw);
            }
            out.set(t * rows + r, hi);
        }
    }

    /** One work-group of 64 items per 2 output rows and token. */
    public static Launch launch(int rows, int n) {
        return Launch.of((rows + ROWS_PER_GROUP - 1) / ROWS_PER_GROUP, n, LOCAL);
    }
}
