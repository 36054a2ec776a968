package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U8Buffer;

/**
 * Activations to Q8_K blocks as ggml's quantize_row_q8_K_ref makes them: max = the signed element of largest
 * magnitude (the first one on ties), iscale = -127 / max, q = min(127, rint(iscale * x)) (ties to even), d = 1 / iscale
 * as a float, bsums[g] = sum of quants 16g..16g+15; an all-zero block is all zero bytes.
 */
public final class QuantizeQ8_K {
    private QuantizeQ8_K() {}

    /** Items per work-group; item l owns elements l, l + 64, l + 128, l + 192 of its block. */
    static final int LOCAL = 64;
    /** Elements per block. */
    static final int QK = 256;

    /**
     * x: [blocks × 256] floats; out: [blocks × 292] bytes of block_q8_K. One work-group per block: the (|x|, index)
     * of largest magnitude by a tree reduction that keeps the lower index on ties (what a sequential strict-greater
     * scan finds), then each item quantizes its four elements into shared memory and items 0..15 sum the bsums.
     */
    @Kernel(barrier = true)
    public static void quantize(KernelContext ctx, F32Buffer x, U8Buffer out, int blocks) {
        float[] amax = ctx.localFloats(LOCAL);   // [64] per-item largest |x|, reduced to amax[0]
        int[] where = ctx.localInts(LOCAL);      // [64] its element index in the block, reduced to where[0]
        int[] qs = ctx.localInts(QK);            // [256] the block's quants
        int b = ctx.groupId(0);
        int l = ctx.localId(0);
        boolean live = b < blocks;
        int base = b * QK;
        float best = 0f;
        int bestAt = l;
        for (int k = 0; k < QK / LOCAL; k++) {
            int e = l + k * LOCAL;
            float a = live ? KernelMath.abs(x.get(base + e)) : 0f;
            if (a > best) {
                best = a;
                bestAt = e;
            }
        }
        amax[l] = best;
        where[l] = bestAt;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s >>= 1) {
            if (l < s) {
                float other = amax[l + s];
                int otherAt = where[l + s];
                if (other > amax[l] || (other == amax[l] && otherAt < where[l])) {
                    amax[l] = other;
                    where[l] = otherAt;
                }
            }
            ctx.barrier();
        }
        boolean zero = amax[0] == 0f;
        float max = live ? x.get(base + where[0]) : 0f;
        float iscale = zero ? 0f : -127f / max;
        for (int k = 0; k < QK / LOCAL; k++) {
            int e = l + k * LOCAL;
            int q = live ? (int) KernelMath.min(127f, KernelMath.rint(iscale * x.get(base + e))) : 0;
            qs[e] = q;
            if (live) out.set(b * BlockQ8_K.BYTES + BlockQ8_K.QS + e, q & 0xFF);
        }
        ctx.barrier();
        if (live && l < QK / 16) {
            int bsum = 0;
            for (int k = 0; k < 16; k++) bsum += qs[16 * l + k];
            BlockBytes.put16(out, b * BlockQ8_K.BYTES + BlockQ8_K.BSUMS + 2 * l, bsum);
        }
        if (live && l == 0) BlockBytes.put32(out, b * BlockQ8_K.BYTES, KernelMath.floatToBits(zero ? 0f : 1f / iscale));
    }

    /** One work-group of 64 items per block. */
    public static Launch launch(int blocks) {
        return Launch.of(blocks, LOCAL);
    }
}
