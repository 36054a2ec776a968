package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U8Buffer;

/**
 * Activations to Q8_0 blocks as ggml's AVX2 quantize_row_q8_0 makes them: amax = max |x|, d = amax / 127 stored as
 * fp16 (nearest even), q = rint(x * (127 / amax)) (ties to even), 0 for an all-zero block.
 */
public final class QuantizeQ8_0 {
    private QuantizeQ8_0() {}

    /** Items per work-group: one per element of a block. */
    static final int LOCAL = 32;

    /**
     * x: [blocks × 32] floats; out: [blocks × 34] bytes of block_q8_0 {fp16 d, int8 qs[32]}.
     * One work-group per block, item j owns element j; amax by a shared-memory tree reduction (max is exact, so the
     * order does not matter).
     */
    @Kernel(barrier = true)
    public static void quantize(KernelContext ctx, F32Buffer x, U8Buffer out, int blocks) {
        float[] amax = ctx.localFloats(LOCAL);   // [32] per-item |x|, reduced to amax[0]
        int b = ctx.groupId(0);
        int j = ctx.localId(0);
        boolean live = b < blocks;
        float v = live ? x.get(b * 32 + j) : 0f;
        amax[j] = KernelMath.abs(v);
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s >>= 1) {
            if (j < s) amax[j] = KernelMath.max(amax[j], amax[j + s]);
            ctx.barrier();
        }
        float m = amax[0];
        float id = m != 0f ? 127f / m : 0f;
        if (live) {
            float q = KernelMath.max(-128f, KernelMath.min(127f, KernelMath.rint(v * id)));
            out.set(b * BlockQ8_0.BYTES + 2 + j, (int) q & 0xFF);
            if (j == 0) BlockBytes.put16(out, b * BlockQ8_0.BYTES, KernelMath.f32ToF16(m / 127f));
        }
    }

    /** One work-group of 32 items per block. */
    public static Launch launch(int blocks) {
        return Launch.of(blocks, LOCAL);
    }
}
