package dev.ember.compute.cpu;

/**
 * Exact conversions between float and the 16-bit float formats ggml stores: IEEE binary16 (F16) and bfloat16 (BF16).
 * All methods are pure bit manipulation or JDK intrinsics, so results are identical on every machine.
 */
public final class Half {
    private Half() {}

    /** binary16 bits to float; exact (every half is representable as a float). */
    public static float toFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to binary16 bits, round to nearest even: what F16C's vcvtps2ph with imm 0 does (ggml's GGML_CPU_FP32_TO_FP16). */
    public static short fromFloat(float f) {
        return Float.floatToFloat16(f);
    }

    /** bfloat16 bits to float; exact (bf16 is the top half of a float). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * float to bfloat16 bits as ggml_compute_fp32_to_bf16 does (ggml-impl.h): NaN keeps its top bits and is forced quiet
     * (bit 6 of the bf16), everything else rounds to nearest even by adding 0x7fff plus the lowest kept bit.
     * Overflow rounds to infinity, as in ggml; subnormals are kept, not flushed.
     */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
