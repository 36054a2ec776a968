package dev.ember.kernels;

import dev.ember.compute.dsl.U8Buffer;

/**
 * block_q4_0 (18 bytes): fp16 d at 0, uint8 qs[16] at 2; element j (j < 16) = d * ((qs[j] & 15) - 8), element
 * j + 16 = d * ((qs[j] >> 4) - 8).
 */
final class BlockQ4_0 {
    private BlockQ4_0() {}

    static final int BYTES = 18;

    /** The signed 4-bit quant (-8..7) of element j (0..31) of the block at bo. */
    static int quant(U8Buffer w, int bo, int j) {
        int q = w.get(bo + 2 + (j & 15));
        return ((q >>> ((j >>> 4) << 2)) & 15) - 8;
    }

    /** Element j (0..31) of the block at bo, as ggml's dequantize_row_q4_0 computes it. */
    static float value(U8Buffer w, int bo, int j) {
        return quant(w, bo, j) * BlockBytes.f16(w, bo);
    }

    /**
     * ggml_vec_dot_q4_0_q8_0 for one block: the weight block at wo times the Q8_0 activation block at xo, the 32
     * products of quants summed exactly as an int, scaled by dw * dx.
     */
    static float dot(U8Buffer w, int wo, U8Buffer x, int xo) {
        int isum = 0;
        for (int j = 0; j < 16; j++) {
            int q = w.get(wo + 2 + j);
            isum += ((q & 15) - 8) * BlockBytes.i8(x, xo + 2 + j) + ((q >>> 4) - 8) * BlockBytes.i8(x, xo + 18 + j);
        }
        return (float) isum * (BlockBytes.f16(w, wo) * BlockBytes.f16(x, xo));
    }
}
