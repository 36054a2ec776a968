package dev.ember.compute.cpu;

/**
 * The single-precision exp that ggml's AVX2 kernels use for SiLU and softmax (an ARM optimized-routines
 * style approximation: x = n·ln2 + b, 2^n built in the exponent bits, a degree-5 polynomial for e^b;
 * max error about 1.5 ulp). ggml applies it to full 8-lane chunks and libm's expf to leftovers; matching
 * that split is what keeps quantized models' activations on the same side of rounding boundaries as llama.cpp.
 * Each lane is independent, so this scalar form gives the vector code's results exactly (fma = vfmadd).
 */
public final class GgmlExp {
    private GgmlExp() {}

    /** Lanes per chunk in ggml's AVX2 loops. */
    public static final int LANES = 8;

    private static final float SHIFT = 0x1.8p23f;
    private static final float LOG2E = 0x1.715476p+0f;
    private static final float LN2_HI = 0x1.62e4p-1f;
    private static final float LN2_LO = 0x1.7f7d1cp-20f;
    private static final float C5 = 0x1.0e4020p-7f;
    private static final float C4 = 0x1.573e2ep-5f;
    private static final float C3 = 0x1.555e66p-3f;
    private static final float C2 = 0x1.fffdb6p-2f;
    private static final float C1 = 0x1.ffffecp-1f;
    private static final int ONE_BITS = Float.floatToRawIntBits(1.0f);

    /** e^x as one lane of ggml_v_expf. */
    public static float vexp(float x) {
        float z = Math.fma(x, LOG2E, SHIFT);
        float n = z - SHIFT;
        float b = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + ONE_BITS);
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(C5, b, C4), u, Math.fma(C3, b, C2)), u, C1 * b);
        float absN = Math.abs(n);
        if (!(absN > 126f)) return Math.fma(j, k, k);
        int g = n <= 0f ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7f000000);
        if (absN > 192f) return s1 * s1;
        float s2 = Float.intBitsToFloat(e - g);
        return Math.fma(s2, j, s2) * s1;
    }

    /** libm expf, used by ggml for the leftovers after the 8-lane chunks. */
    public static float expf(float x) {
        return (float) Math.exp(x);
    }

    /** SiLU of one lane of ggml_v_silu: x / (1 + e^(0 - x)). */
    public static float vsilu(float x) {
        return x / (1.0f + vexp(0.0f - x));
    }
}
