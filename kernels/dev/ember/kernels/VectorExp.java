package dev.ember.kernels;

import dev.ember.compute.dsl.KernelMath;

/**
 * The single-precision exp of ggml's AVX2 SiLU and softmax (x = n·ln2 + b, 2^n built in the exponent bits, a
 * degree-5 polynomial for e^b), as {@code compute.cpu.GgmlExp} on the CPU: the kernels use it where llama.cpp's
 * CPU backend does, so activations land on the same side of the next quantization's rounding boundaries.
 */
final class VectorExp {
    private VectorExp() {}

    /** Lanes per chunk in ggml's AVX2 loops: elements past the last full chunk of a row use libm's expf. */
    static final int LANES = 8;

    static final int SHIFT = 0x4b400000;   // 0x1.8p23f
    static final int LOG2E = 0x3fb8aa3b;   // 0x1.715476p+0f
    static final int LN2_HI = 0x3f317200;  // 0x1.62e4p-1f
    static final int LN2_LO = 0x35bfbe8e;  // 0x1.7f7d1cp-20f
    static final int C5 = 0x3c072010;      // 0x1.0e4020p-7f
    static final int C4 = 0x3d2b9f17;      // 0x1.573e2ep-5f
    static final int C3 = 0x3e2aaf33;      // 0x1.555e66p-3f
    static final int C2 = 0x3efffedb;      // 0x1.fffdb6p-2f
    static final int C1 = 0x3f7ffff6;      // 0x1.ffffecp-1f
    static final int ONE = 0x3f800000;     // 1.0f

    /** e^x as one lane of ggml_v_expf. */
    static float vexp(float x) {
        float shift = KernelMath.bitsToFloat(SHIFT);
        float z = KernelMath.fma(x, KernelMath.bitsToFloat(LOG2E), shift);
        float n = z - shift;
        float b = KernelMath.fma(-n, KernelMath.bitsToFloat(LN2_LO), KernelMath.fma(-n, KernelMath.bitsToFloat(LN2_HI), x));
        int e = KernelMath.floatToBits(z) << 23;
        float k = KernelMath.bitsToFloat(e + ONE);
        float u = b * b;
        float j = KernelMath.fma(KernelMath.fma(KernelMath.fma(KernelMath.bitsToFloat(C5), b, KernelMath.bitsToFloat(C4)), u,
                KernelMath.fma(KernelMath.bitsToFloat(C3), b, KernelMath.bitsToFloat(C2))), u, KernelMath.bitsToFloat(C1) * b);
        float absN = KernelMath.abs(n);
        if (!(absN > 126f)) return KernelMath.fma(j, k, k);
        int g = n <= 0f ? 0x82000000 : 0;
        float s1 = KernelMath.bitsToFloat(g + 0x7f000000);
        if (absN > 192f) return s1 * s1;
        float s2 = KernelMath.bitsToFloat(e - g);
        return KernelMath.fma(s2, j, s2) * s1;
    }
}
