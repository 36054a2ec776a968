package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * Plain scalar dot products, one weight row times one activation row, for every supported weight type. The integer math is
 * ggml's (block by block, scales applied to integer sums); the float summation is the simple sequential order of ggml's
 * generic C kernels, not the AVX2 lane order, so vectorized results agree with these to float rounding, not bit for bit.
 * Mins of K-quants are computed from the activation quants directly, not from Q8_K's bsums, so that a wrong bsum shows up.
 * This class is the yardstick for tests and the fallback where 256-bit vectors are not available.
 */
public final class ReferenceDot {
    private ReferenceDot() {}

    /** w: one row of {@code type} blocks at {@code wo}; x: one row of type's activation encoding at {@code xo}; n = cols. */
    public static float dot(GgmlType type, MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        return switch (type) {
            case F32 -> f32(w, wo, x, xo, n);
            case F16 -> f16(w, wo, x, xo, n);
            case BF16 -> bf16(w, wo, x, xo, n);
            case Q8_0 -> q8_0(w, wo, x, xo, n);
            case Q4_0 -> q4_0(w, wo, x, xo, n);
            case Q4_1 -> q4_1(w, wo, x, xo, n);
            case Q5_0 -> q5_0(w, wo, x, xo, n);
            case Q5_1 -> q5_1(w, wo, x, xo, n);
            case Q2_K -> q2_K(w, wo, x, xo, n);
            case Q3_K -> q3_K(w, wo, x, xo, n);
            case Q4_K -> q4_K(w, wo, x, xo, n);
            case Q5_K -> q5_K(w, wo, x, xo, n);
            case Q6_K -> q6_K(w, wo, x, xo, n);
            default -> throw new IllegalArgumentException("no dot product for " + type);
        };
    }

    static float f32(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) Bytes.f32(w, wo + 4L * i) * Bytes.f32(x, xo + 4L * i);
        return (float) s;
    }

    static float f16(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) Bytes.f16(w, wo + 2L * i) * Bytes.f16(x, xo + 2L * i);
        return (float) s;
    }

    static float bf16(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) Half.bf16ToFloat(Bytes.i16(w, wo + 2L * i)) * Half.bf16ToFloat(Bytes.i16(x, xo + 2L * i));
        }
        return (float) s;
    }

    // Q8_0 block: fp16 d, int8 qs[32] (34 bytes).
    static float q8_0(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 32; b++, wo += 34, xo += 34) {
            int isum = 0;
            for (int j = 0; j < 32; j++) isum += Bytes.i8(w, wo + 2 + j) * Bytes.i8(x, xo + 2 + j);
            sum += isum * Bytes.f16(w, wo) * Bytes.f16(x, xo);
        }
        return sum;
    }

    // Q4_0 block: fp16 d, qs[16]; element j = (qs[j] & 15) - 8, element j+16 = (qs[j] >> 4) - 8.
    static float q4_0(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 32; b++, wo += 18, xo += 34) {
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(w, wo + 2 + j);
                isum += ((q & 0xF) - 8) * Bytes.i8(x, xo + 2 + j) + ((q >> 4) - 8) * Bytes.i8(x, xo + 18 + j);
            }
            sum += isum * Bytes.f16(w, wo) * Bytes.f16(x, xo);
        }
        return sum;
    }

    // Q4_1 block: fp16 d, fp16 m, qs[16]; value = d*q + m. Q8_1: fp16 d, fp16 s (= d * sum qs), int8 qs[32].
    static float q4_1(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 32; b++, wo += 20, xo += 36) {
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(w, wo + 4 + j);
                isum += (q & 0xF) * Bytes.i8(x, xo + 4 + j) + (q >> 4) * Bytes.i8(x, xo + 20 + j);
            }
            sum += isum * Bytes.f16(w, wo) * Bytes.f16(x, xo) + Bytes.f16(w, wo + 2) * Bytes.f16(x, xo + 2);
        }
        return sum;
    }

    /** Bit j (0..31) of Q5's qh gives element j its fifth bit. */
    private static int q5(MemorySegment w, long qsOff, int qh, int e) {
        int nib = e < 16 ? Bytes.u8(w, qsOff + e) & 0xF : Bytes.u8(w, qsOff + e - 16) >> 4;
        return nib | (((qh >>> e) & 1) << 4);
    }

    // Q5_0 block: fp16 d, qh[4], qs[16]; value = d * (q5 - 16).
    static float q5_0(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 32; b++, wo += 22, xo += 34) {
            int qh = Bytes.i32(w, wo + 2);
            int isum = 0;
            for (int e = 0; e < 32; e++) isum += (q5(w, wo + 6, qh, e) - 16) * Bytes.i8(x, xo + 2 + e);
            sum += isum * Bytes.f16(w, wo) * Bytes.f16(x, xo);
        }
        return sum;
    }

    // Q5_1 block: fp16 d, fp16 m, qh[4], qs[16]; value = d * q5 + m.
    static float q5_1(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 32; b++, wo += 24, xo += 36) {
            int qh = Bytes.i32(w, wo + 4);
            int isum = 0;
            for (int e = 0; e < 32; e++) isum += q5(w, wo + 8, qh, e) * Bytes.i8(x, xo + 4 + e);
            sum += isum * Bytes.f16(w, wo) * Bytes.f16(x, xo) + Bytes.f16(w, wo + 2) * Bytes.f16(x, xo + 2);
        }
        return sum;
    }

    // Q8_K block: float d, int8 qs[256], int16 bsums[16] (292 bytes). Element e of a superblock is at xo + 4 + e.

    // Q2_K block: scales[16] (low nibble scale, high nibble min), qs[64], fp16 d, fp16 dmin (84 bytes).
    // Element 128*h + 32*c + l (h 0..1, c 0..3, l 0..31) is (qs[32*h + l] >> 2c) & 3, sub-block (element / 16).
    static float q2_K(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 256; b++, wo += 84, xo += 292) {
            int isum = 0, imin = 0;
            for (int e = 0; e < 256; e++) {
                int h = e >> 7, c = (e >> 5) & 3, l = e & 31;
                int q = (Bytes.u8(w, wo + 16 + 32 * h + l) >> (2 * c)) & 3;
                int sc = Bytes.u8(w, wo + (e >> 4));
                int y = Bytes.i8(x, xo + 4 + e);
                isum += (sc & 0xF) * q * y;
                imin += (sc >> 4) * y;
            }
            float yd = Bytes.f32(x, xo);
            sum += yd * Bytes.f16(w, wo + 80) * isum - yd * Bytes.f16(w, wo + 82) * imin;
        }
        return sum;
    }

    // Q3_K block: hmask[32], qs[64], scales[12], fp16 d (110 bytes). Element 128*h + 32*c + l: low 2 bits as Q2_K,
    // high bit = hmask[l] bit (4h + c); value = d * scale * (low - (high ? 0 : 4)).
    static float q3_K(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 256; b++, wo += 110, xo += 292) {
            int isum = 0;
            for (int e = 0; e < 256; e++) {
                int h = e >> 7, c = (e >> 5) & 3, l = e & 31;
                int low = (Bytes.u8(w, wo + 32 + 32 * h + l) >> (2 * c)) & 3;
                int high = (Bytes.u8(w, wo + l) >> (4 * h + c)) & 1;
                isum += KScales.scaleQ3(w, wo + 96, e >> 4) * (low - (high == 1 ? 0 : 4)) * Bytes.i8(x, xo + 4 + e);
            }
            sum += Bytes.f32(x, xo) * Bytes.f16(w, wo + 108) * isum;
        }
        return sum;
    }

    // Q4_K block: fp16 d, fp16 dmin, scales[12], qs[128] (144 bytes). Element 64*j + l is qs[32*j + l] & 15 (sub-block 2j),
    // element 64*j + 32 + l is qs[32*j + l] >> 4 (sub-block 2j+1); value = d*sc*q - dmin*m.
    static float q4_K(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 256; b++, wo += 144, xo += 292) {
            int isum = 0, imin = 0;
            for (int e = 0; e < 256; e++) {
                int sub = e >> 5;
                int byteVal = Bytes.u8(w, wo + 16 + 32 * (e >> 6) + (e & 31));
                int q = (sub & 1) == 0 ? byteVal & 0xF : byteVal >> 4;
                int y = Bytes.i8(x, xo + 4 + e);
                isum += KScales.scaleK4(w, wo + 4, sub) * q * y;
                imin += KScales.minK4(w, wo + 4, sub) * y;
            }
            float yd = Bytes.f32(x, xo);
            sum += yd * Bytes.f16(w, wo) * isum - yd * Bytes.f16(w, wo + 2) * imin;
        }
        return sum;
    }

    // Q5_K block: fp16 d, fp16 dmin, scales[12], qh[32], qs[128] (176 bytes). As Q4_K plus fifth bit qh[l] bit (sub-block).
    static float q5_K(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 256; b++, wo += 176, xo += 292) {
            int isum = 0, imin = 0;
            for (int e = 0; e < 256; e++) {
                int sub = e >> 5, l = e & 31;
                int byteVal = Bytes.u8(w, wo + 48 + 32 * (e >> 6) + l);
                int q = ((sub & 1) == 0 ? byteVal & 0xF : byteVal >> 4) | (((Bytes.u8(w, wo + 16 + l) >> sub) & 1) << 4);
                int y = Bytes.i8(x, xo + 4 + e);
                isum += KScales.scaleK4(w, wo + 4, sub) * q * y;
                imin += KScales.minK4(w, wo + 4, sub) * y;
            }
            float yd = Bytes.f32(x, xo);
            sum += yd * Bytes.f16(w, wo) * isum - yd * Bytes.f16(w, wo + 2) * imin;
        }
        return sum;
    }

    // Q6_K block: ql[128], qh[64], int8 scales[16], fp16 d (210 bytes). Element 128*h + 32*c + l (c 0..3):
    // low 4 bits = ql[64*h + 32*(c & 1) + l] (low nibble for c < 2, high nibble otherwise),
    // high 2 bits = (qh[32*h + l] >> 2c) & 3; value = d * scale[element / 16] * (q - 32).
    static float q6_K(MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        float sum = 0;
        for (int b = 0; b < n / 256; b++, wo += 210, xo += 292) {
            int isum = 0;
            for (int e = 0; e < 256; e++) {
                int h = e >> 7, c = (e >> 5) & 3, l = e & 31;
                int lo = Bytes.u8(w, wo + 64 * h + 32 * (c & 1) + l);
                int low = c < 2 ? lo & 0xF : lo >> 4;
                int high = (Bytes.u8(w, wo + 128 + 32 * h + l) >> (2 * c)) & 3;
                isum += Bytes.i8(w, wo + 192 + (e >> 4)) * ((low | (high << 4)) - 32) * Bytes.i8(x, xo + 4 + e);
            }
            sum += Bytes.f32(x, xo) * Bytes.f16(w, wo + 208) * isum;
        }
        return sum;
    }
}
