package dev.ember.kernels;

import dev.ember.compute.dsl.U8Buffer;

/**
 * block_q6_K (210 bytes, 256 elements): uint8 ql[128] at 0, uint8 qh[64] at 128, int8 scales[16] at 192, fp16 d at 208.
 * Element e = 128h + 32c + l (h < 2, c < 4, l < 32): low 4 bits from ql[64h + 32(c & 1) + l] (low nibble for c < 2,
 * high for c >= 2), high 2 bits (qh[32h + l] >> 2c) & 3; value = (d * scales[e / 16]) * (q - 32).
 * Its activations are {@link BlockQ8_K} blocks.
 */
final class BlockQ6_K {
    private BlockQ6_K() {}

    static final int BYTES = 210;

    /** The signed 6-bit quant (-32..31) of element e (0..255) of the block at bo. */
    static int quant(U8Buffer w, int bo, int e) {
        int h = e >>> 7;
        int c = (e >>> 5) & 3;
        int l = e & 31;
        int low = (w.get(bo + 64 * h + 32 * (c & 1) + l) >>> ((c >>> 1) << 2)) & 15;
        int high = (w.get(bo + 128 + 32 * h + l) >>> (2 * c)) & 3;
        return (low | (high << 4)) - 32;
    }

    /** Element e (0..255) of the block at bo, as ggml's dequantize_row_q6_K computes it. */
    static float value(U8Buffer w, int bo, int e) {
        return BlockBytes.f16(w, bo + 208) * BlockBytes.i8(w, bo + 192 + (e >>> 4)) * quant(w, bo, e);
    }

    /**
     * ggml_vec_dot_q6_K_q8_K for one block: per group of 16 elements the exact int sum of quant products times the
     * group's int8 scale, all in one int; result y.d * d * sumi.
     */
    static float dot(U8Buffer w, int wo, U8Buffer x, int xo) {
        int sumi = 0;
        for (int g = 0; g < 16; g++) {
            int isum = 0;
            for (int l = 0; l < 16; l++) {
                int e = 16 * g + l;
                isum += quant(w, wo, e) * BlockQ8_K.q(x, xo, e);
            }
            sumi += BlockBytes.i8(w, wo + 192 + g) * isum;
        }
        return (BlockQ8_K.d(x, xo) * BlockBytes.f16(w, wo + 208)) * (float) sumi;
    }
}
