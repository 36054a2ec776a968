package dev.ember.kernels;

import dev.ember.compute.dsl.U8Buffer;

/** block_q8_K (292 bytes, 256 activations): float d at 0, int8 qs[256] at 4, int16 bsums[16] at 260 (bsums[g] = Σ qs[16g..16g+15]). */
final class BlockQ8_K {
    private BlockQ8_K() {}

    static final int BYTES = 292;
    /** Byte offset of qs[0]. */
    static final int QS = 4;
    /** Byte offset of bsums[0]. */
    static final int BSUMS = 260;

    /** The scale d of the block at xo. */
    static float d(U8Buffer x, int xo) {
        return BlockBytes.f32(x, xo);
    }

    /** Quant e (0..255), -128..127. */
    static int q(U8Buffer x, int xo, int e) {
        return BlockBytes.i8(x, xo + QS + e);
    }

    /** bsums[g] (g < 16). */
    static int bsum(U8Buffer x, int xo, int g) {
        return BlockBytes.i16(x, xo + BSUMS + 2 * g);
    }
}
