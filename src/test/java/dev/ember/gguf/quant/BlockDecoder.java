package dev.ember.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Straightforward decoders written from ggml-common.h's block layouts, independent of the quantizers: each returns
 * the values and, per element, the step (scale) that the layout gives it, for error bounds.
 */
final class BlockDecoder {
    private BlockDecoder() {}

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Decoded values and each element's scale (|d| of its block or sub-block). */
    record Decoded(float[] x, float[] step) {}

    static int u8(MemorySegment m, long at) {
        return m.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static float half(MemorySegment m, long at) {
        return Float.float16ToFloat(m.get(LE16, at));
    }

    /** block_q8_0 {half d; int8 qs[32]}: x = d·q. */
    static Decoded q8_0(MemorySegment m, int n) {
        float[] x = new float[n], s = new float[n];
        for (int b = 0; b < n / 32; b++) {
            long o = 34L * b;
            float d = half(m, o);
            for (int j = 0; j < 32; j++) {
                x[32 * b + j] = d * m.get(ValueLayout.JAVA_BYTE, o + 2 + j);
                s[32 * b + j] = Math.abs(d);
            }
        }
        return new Decoded(x, s);
    }

    /** block_q4_0 {half d; uint8 qs[16]}: element j = low nibble of qs[j], j+16 = high nibble; x = d·(q−8). */
    static Decoded q4_0(MemorySegment m, int n) {
        float[] x = new float[n], s = new float[n];
        for (int b = 0; b < n / 32; b++) {
            long o = 18L * b;
            float d = half(m, o);
            for (int j = 0; j < 16; j++) {
                int byt = u8(m, o + 2 + j);
                x[32 * b + j] = d * ((byt & 0xF) - 8);
                x[32 * b + j + 16] = d * ((byt >> 4) - 8);
                s[32 * b + j] = s[32 * b + j + 16] = Math.abs(d);
            }
        }
        return new Decoded(x, s);
    }

    /** block_q5_0 {half d; uint8 qh[4]; uint8 qs[16]}: q = nibble | (bit j of qh) << 4; x = d·(q−16). */
    static Decoded q5_0(MemorySegment m, int n) {
        float[] x = new float[n], s = new float[n];
        for (int b = 0; b < n / 32; b++) {
            long o = 22L * b;
            float d = half(m, o);
            int qh = m.get(LE32, o + 2);
            for (int j = 0; j < 16; j++) {
                int byt = u8(m, o + 6 + j);
                int q0 = (byt & 0xF) | (((qh >>> j) & 1) << 4);
                int q1 = (byt >> 4) | (((qh >>> (j + 16)) & 1) << 4);
                x[32 * b + j] = d * (q0 - 16);
                x[32 * b + j + 16] = d * (q1 - 16);
                s[32 * b + j] = s[32 * b + j + 16] = Math.abs(d);
            }
        }
        return new Decoded(x, s);
    }

    /** The 6-bit scale and min of sub-block j from block_q4_K's 12 packed bytes (ggml's get_scale_min_k4). */
    static int[] scaleMinK4(MemorySegment m, long scales, int j) {
        if (j < 4) return new int[] {u8(m, scales + j) & 63, u8(m, scales + j + 4) & 63};
        int sc = (u8(m, scales + j + 4) & 0xF) | ((u8(m, scales + j - 4) >> 6) << 4);
        int mn = (u8(m, scales + j + 4) >> 4) | ((u8(m, scales + j) >> 6) << 4);
        return new int[] {sc, mn};
    }

    /**
     * block_q4_K {half d; half dmin; uint8 scales[12]; uint8 qs[128]}: 4 chunks of 64 elements, chunk c uses
     * qs[32c .. 32c+32): low nibbles are sub-block 2c, high nibbles sub-block 2c+1; x = d·sc·q − dmin·m.
     */
    static Decoded q4_K(MemorySegment m, int n) {
        float[] x = new float[n], s = new float[n];
        for (int b = 0; b < n / 256; b++) {
            long o = 144L * b;
            float d = half(m, o), dmin = half(m, o + 2);
            for (int c = 0; c < 4; c++) {
                int[] lo = scaleMinK4(m, o + 4, 2 * c), hi = scaleMinK4(m, o + 4, 2 * c + 1);
                float d1 = d * lo[0], m1 = dmin * lo[1], d2 = d * hi[0], m2 = dmin * hi[1];
                for (int l = 0; l < 32; l++) {
                    int byt = u8(m, o + 16 + 32 * c + l);
                    int e = 256 * b + 64 * c + l;
                    x[e] = d1 * (byt & 0xF) - m1;
                    x[e + 32] = d2 * (byt >> 4) - m2;
                    s[e] = Math.abs(d1);
                    s[e + 32] = Math.abs(d2);
                }
            }
        }
        return new Decoded(x, s);
    }

    /**
     * block_q6_K {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d}: two halves of 128 elements, half h uses
     * ql[64h ..], qh[32h ..], scales[8h ..]; for l < 32, elements l, l+32, l+64, l+96 take ql[l] low, ql[l+32]
     * low, ql[l] high, ql[l+32] high nibbles and qh[l] bits 0-1, 2-3, 4-5, 6-7; x = d·scale[sub-block]·(q−32).
     */
    static Decoded q6_K(MemorySegment m, int n) {
        float[] x = new float[n], s = new float[n];
        for (int b = 0; b < n / 256; b++) {
            long o = 210L * b;
            float d = half(m, o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int hb = u8(m, qh + l);
                    int q1 = ((u8(m, ql + l) & 0xF) | ((hb & 3) << 4)) - 32;
                    int q2 = ((u8(m, ql + l + 32) & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
                    int q3 = ((u8(m, ql + l) >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                    int q4 = ((u8(m, ql + l + 32) >> 4) | (((hb >> 6) & 3) << 4)) - 32;
                    int e = 256 * b + 128 * h + l;
                    int[] q = {q1, q2, q3, q4};
                    for (int k = 0; k < 4; k++) {
                        float dk = d * m.get(ValueLayout.JAVA_BYTE, sc + is + 2 * k);
                        x[e + 32 * k] = dk * q[k];
                        s[e + 32 * k] = Math.abs(dk);
                    }
                }
            }
        }
        return new Decoded(x, s);
    }

    /** IEEE half: x = the half's value; the step is the value's fp16 ulp. */
    static Decoded f16(MemorySegment m, int n) {
        float[] x = new float[n], s = new float[n];
        for (int i = 0; i < n; i++) {
            short h = m.get(LE16, 2L * i);
            x[i] = Float.float16ToFloat(h);
            s[i] = Math.abs(Float.float16ToFloat((short) ((h & 0x7FFF) + 1)) - Math.abs(x[i]));
        }
        return new Decoded(x, s);
    }
}
