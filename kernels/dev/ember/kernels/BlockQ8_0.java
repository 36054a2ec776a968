package dev.ember.kernels;

import dev.ember.compute.dsl.U8Buffer;

/** block_q8_0 (34 bytes): fp16 d at 0, int8 qs[32] at 2; element j = d * qs[j]. */
final class BlockQ8_0 {
    private BlockQ8_0() {}

    static final int BYTES = 34;

    /** Element j (0..31) of the block at byte offset bo, as ggml's dequantize_row_q8_0 computes it. */
    static float value(U8Buffer w, int bo, int j) {
        return BlockBytes.i8(w, bo + 2 + j) * BlockBytes.f16(w, bo);
    }

    /**
     * ggml_vec_dot_q8_0_q8_0 (AVX2) lane k (0..7) of one block: the exact int sum of the products of elements
     * 4k..4k+3 of the weight block at wo and the Q8_0 activation block at xo (maddubs + madd).
     */
    static int laneSum(U8Buffer w, int wo, U8Buffer x, int xo, int k) {
        int isum = 0;
        for (int j = 4 * k; j < 4 * k + 4; j++) isum += BlockBytes.i8(w, wo + 2 + j) * BlockBytes.i8(x, xo + 2 + j);
        return isum;
    }
}
