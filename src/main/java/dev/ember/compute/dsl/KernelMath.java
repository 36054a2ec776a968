package dev.ember.compute.dsl;

/**
 * Float math for kernels with one meaning on every target. Kernels call these instead of {@link Math}
 * (whose functions are mostly double); the translator maps each to the target's function or to a helper
 * it emits (f16 conversions are done in integer arithmetic: OpenCL 1.2 devices may lack fp16).
 */
public final class KernelMath {
    private KernelMath() {}

    public static float exp(float x) {
        return (float) Math.exp(x);
    }

    public static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }

    public static float abs(float x) {
        return Math.abs(x);
    }

    public static float max(float a, float b) {
        return Math.max(a, b);
    }

    public static float min(float a, float b) {
        return Math.min(a, b);
    }

    /** a × b + c with a single rounding. */
    public static float fma(float a, float b, float c) {
        return Math.fma(a, b, c);
    }

    /** Rounds to the nearest integer, ties to even (C {@code rint}). */
    public static float rint(float x) {
        return (float) Math.rint(x);
    }

    /** IEEE half bits (0..65535) to float. */
    public static float f16ToF32(int bits) {
        return Float.float16ToFloat((short) bits);
    }

    /** Float to IEEE half bits (0..65535), round to nearest even. */
    public static int f32ToF16(float x) {
        return Short.toUnsignedInt(Float.floatToFloat16(x));
    }

    /** bfloat16 bits (0..65535) to float. */
    public static float bf16ToF32(int bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    public static int floatToBits(float x) {
        return Float.floatToRawIntBits(x);
    }

    public static float bitsToFloat(int bits) {
        return Float.intBitsToFloat(bits);
    }

    /** The low byte of {@code v} as a signed int8 value (-128..127). */
    public static int signed8(int v) {
        return (byte) v;
    }
}
