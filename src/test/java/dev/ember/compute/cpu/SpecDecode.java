package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;

/**
 * Test-side decoder written straight from the block layouts in ggml-common.h and the formulas of ggml-quants.c
 * dequantize_row_*, element by element and without the production helpers, to check WeightMatrix.dequantizeRow against.
 * Float operations are in ggml's order (e.g. (d*sc)*q - dmin*m), so results must match bit for bit.
 */
final class SpecDecode {
    private SpecDecode() {}

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    static float h(byte[] b, int i) {
        return Float.float16ToFloat((short) ((b[i] & 0xFF) | (b[i + 1] << 8)));
    }

    /** Decodes {@code n} elements of type {@code t} starting at byte {@code off}. */
    static float[] row(GgmlType t, byte[] b, int off, int n) {
        float[] y = new float[n];
        for (int e = 0; e < n; e++) y[e] = element(t, b, off, e);
        return y;
    }

    static float element(GgmlType t, byte[] b, int off, int e) {
        int blk = e / t.blockSize, i = e % t.blockSize;
        int o = off + blk * t.typeSize;
        switch (t) {
            case F32: {
                int bits = (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
                return Float.intBitsToFloat(bits);
            }
            case F16: return h(b, o);
            case BF16: return Float.intBitsToFloat(((b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8) << 16);
            case Q8_0: return b[o + 2 + i] * h(b, o);
            case Q4_0: return (nibble(b, o + 2, i) - 8) * h(b, o);
            case Q4_1: return nibble(b, o + 4, i) * h(b, o) + h(b, o + 2);
            case Q5_0: return ((nibble(b, o + 6, i) | qhBit(b, o + 2, i) << 4) - 16) * h(b, o);
            case Q5_1: return (nibble(b, o + 8, i) | qhBit(b, o + 4, i) << 4) * h(b, o) + h(b, o + 2);
            case Q2_K: {
                int sc = u8(b, o + i / 16);
                int q = (u8(b, o + 16 + 32 * (i / 128) + i % 32) >> (2 * ((i / 32) % 4))) & 3;
                return (h(b, o + 80) * (sc & 15)) * q - h(b, o + 82) * (sc >> 4);
            }
            case Q3_K: {
                int low = (u8(b, o + 32 + 32 * (i / 128) + i % 32) >> (2 * ((i / 32) % 4))) & 3;
                int high = (u8(b, o + i % 32) >> (i / 32)) & 1;   // hmask bit = 32-element chunk index 0..7
                return (h(b, o + 108) * q3Scale(b, o + 96, i / 16)) * (low - (high == 1 ? 0 : 4));
            }
            case Q4_K: {
                int s = i / 32;
                int byteVal = u8(b, o + 16 + 32 * (s / 2) + i % 32);
                int q = s % 2 == 0 ? byteVal & 15 : byteVal >> 4;
                return (h(b, o) * k4(b, o + 4, s, false)) * q - h(b, o + 2) * k4(b, o + 4, s, true);
            }
            case Q5_K: {
                int s = i / 32;
                int byteVal = u8(b, o + 48 + 32 * (s / 2) + i % 32);
                int q = (s % 2 == 0 ? byteVal & 15 : byteVal >> 4) + (((u8(b, o + 16 + i % 32) >> s) & 1) == 1 ? 16 : 0);
                return (h(b, o) * k4(b, o + 4, s, false)) * q - h(b, o + 2) * k4(b, o + 4, s, true);
            }
            case Q6_K: {
                int half = i / 128, c = (i % 128) / 32, l = i % 32;
                int lq = u8(b, o + 64 * half + 32 * (c % 2) + l);
                int low = c < 2 ? lq & 15 : lq >> 4;
                int high = (u8(b, o + 128 + 32 * half + l) >> (2 * c)) & 3;
                return (h(b, o + 208) * b[o + 192 + i / 16]) * ((low | high << 4) - 32);
            }
            default: throw new IllegalArgumentException(t.toString());
        }
    }

    private static int nibble(byte[] b, int qs, int i) {
        return i < 16 ? u8(b, qs + i) & 15 : u8(b, qs + i - 16) >> 4;
    }

    private static int qhBit(byte[] b, int qh, int i) {
        return (u8(b, qh + i / 8) >> (i % 8)) & 1;
    }

    /** Q4_K/Q5_K 6-bit scale (min=false) or min (min=true) of sub-block s from the 12 packed bytes. */
    static int k4(byte[] b, int sc, int s, boolean min) {
        if (s < 4) return u8(b, sc + s + (min ? 4 : 0)) & 63;
        int low = min ? u8(b, sc + s + 4) >> 4 : u8(b, sc + s + 4) & 15;
        int high = u8(b, min ? sc + s : sc + s - 4) >> 6;
        return low | high << 4;
    }

    /** Q3_K scale s (0..15) minus 32: low nibble from bytes 0..7, 2 high bits from bytes 8..11. */
    static int q3Scale(byte[] b, int sc, int s) {
        int low = s < 8 ? u8(b, sc + s) & 15 : u8(b, sc + s - 8) >> 4;
        int high = (u8(b, sc + 8 + s % 4) >> (2 * (s / 4))) & 3;
        return (low | high << 4) - 32;
    }
}
