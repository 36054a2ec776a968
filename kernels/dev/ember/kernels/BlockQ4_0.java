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
     * ggml_vec_dot_q4_0_q8_0 (AVX2) lane k (0..7) of one block: the exact int sum of the products of elements
     * 4k..4k+3 (quants with the -8 offset applied) with the Q8_0 activation block at xo. bytes_from_nibbles_32 puts
     * the low nibbles (elements 0..15) in lanes 0..3 and the high nibbles (elements 16..31) in lanes 4..7, so lane k
     * is elements 4k..4k+3 in element order.
     */
    static int laneSum(U8Buffer w, int wo, U8Buffer x, int xo, int k) {
        int isum = 0;
        for (int j = 4 * k; j < 4 * k + 4; j++) isum += quant(w, wo, j) * BlockBytes.i8(x, xo + 2 + j);
        return isum;
    }
}
