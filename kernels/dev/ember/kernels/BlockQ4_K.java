package dev.ember.kernels;

import dev.ember.compute.dsl.U8Buffer;

/**
 * block_q4_K (144 bytes, 256 elements): fp16 d at 0, fp16 dmin at 2, 12 bytes of packed 6-bit scales and mins at 4,
 * uint8 qs[128] at 16. Sub-block s (0..7) is elements 32s..32s+31; element 64j + l (l < 32) is the low nibble of
 * qs[32j + l] (sub-block 2j), element 64j + 32 + l its high nibble (sub-block 2j + 1); value = (d * sc[s]) * q - dmin * m[s].
 * Its activations are {@link BlockQ8_K} blocks.
 */
final class BlockQ4_K {
    private BlockQ4_K() {}

    static final int BYTES = 144;

    /** Scale of sub-block s (0..7), 0..63: get_scale_min_k4's first output, from the 12 bytes at so. */
    static int scale(U8Buffer w, int so, int s) {
        if (s < 4) return w.get(so + s) & 63;
        return (w.get(so + s + 4) & 15) | ((w.get(so + s - 4) >>> 6) << 4);
    }

    /** Min of sub-block s (0..7), 0..63: get_scale_min_k4's second output. */
    static int min(U8Buffer w, int so, int s) {
        if (s < 4) return w.get(so + s + 4) & 63;
        return (w.get(so + s + 4) >>> 4) | ((w.get(so + s) >>> 6) << 4);
    }

    /** The unsigned 4-bit quant (0..15) of element e (0..255) of the block at bo. */
    static int quant(U8Buffer w, int bo, int e) {
        int q = w.get(bo + 16 + 32 * (e >>> 6) + (e & 31));
        return (q >>> (((e >>> 5) & 1) << 2)) & 15;
    }

    /** Element e (0..255) of the block at bo, as ggml's dequantize_row_q4_K computes it. */
    static float value(U8Buffer w, int bo, int e) {
        int s = e >>> 5;
        float d = BlockBytes.f16(w, bo) * scale(w, bo + 4, s);
        float m = BlockBytes.f16(w, bo + 2) * min(w, bo + 4, s);
        return d * quant(w, bo, e) - m;
    }

    /**
     * ggml_vec_dot_q4_K_q8_K for one block: per sub-block the exact int sum of quant products times its scale; the
     * mins weighted by the activation block's bsums (two per sub-block); result y.d*d * sumi - y.d*dmin * summ.
     */
    static float dot(U8Buffer w, int wo, U8Buffer x, int xo) {
        int sumi = 0;
        int summ = 0;
        for (int s = 0; s < 8; s++) {
            int isum = 0;
            for (int l = 0; l < 32; l++) {
                int e = 32 * s + l;
                isum += quant(w, wo, e) * BlockQ8_K.q(x, xo, e);
            }
            sumi += scale(w, wo + 4, s) * isum;
            int bsum = BlockQ8_K.bsum(x, xo, 2 * s) + BlockQ8_K.bsum(x, xo, 2 * s + 1);
            summ += min(w, wo + 4, s) * bsum;
        }
        float yd = BlockQ8_K.d(x, xo);
        return (yd * BlockBytes.f16(w, wo)) * (float) sumi - (yd * BlockBytes.f16(w, wo + 2)) * (float) summ;
    }
}
