package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Conversion of an activation row (floats) into the encoding a weight type's dot product takes (ggml's vec_dot_type),
 * reproducing what ggml's CPU backend does on an x86 AVX2/F16C machine (the from_float of each type):
 * <ul>
 * <li>F32: plain copy.</li>
 * <li>F16: round to nearest even (ggml_cpu_fp32_to_fp16 uses vcvtps2ph with _MM_FROUND_TO_NEAREST_INT).</li>
 * <li>BF16: ggml_compute_fp32_to_bf16 (nearest even by adding 0x7fff + lsb, NaN forced quiet); ggml_cpu_fp32_to_bf16 has
 *     no SIMD path on x86 without AVX512-BF16, so it is this scalar rounding.</li>
 * <li>Q8_0 and Q8_1: the AVX2 quantize_row_q8_0 / q8_1 of ggml-cpu/arch/x86/quants.c, which differ from the reference
 *     C code: multiplier id = 127/amax (not 1/d), rounding to nearest <em>even</em> (_mm256_round_ps with
 *     _MM_ROUND_NEAREST), not roundf's half-away-from-zero; d = amax/127 stored as fp16 (nearest even). Q8_1's
 *     s = fp16(d * (float) sum of the int8 quants).</li>
 * <li>Q8_K: quantize_row_q8_K_ref (x86 has no SIMD version): the signed value of largest magnitude max,
 *     iscale = -127/max, q = min(127, nearest_int(iscale*x)) where nearest_int is the 1.5*2^23 magic-number trick, i.e.
 *     round to nearest even; d = 1/iscale as a float; bsums = sums of 16 quants. An all-zero block gets d = 0 and zero
 *     quants (ggml leaves its bsums unwritten; they are written as 0 here).</li>
 * </ul>
 */
public final class Activations {
    private Activations() {}

    /** Bytes of one encoded row of {@code cols} activations. */
    public static long rowBytes(GgmlType activationType, int cols) {
        checkType(activationType);
        if (cols % activationType.blockSize != 0) {
            throw new IllegalArgumentException(cols + " activations are not a whole number of "
                    + activationType + " blocks of " + activationType.blockSize);
        }
        return activationType.bytesFor(cols);
    }

    /** Encodes {@code src[srcOffset .. srcOffset + cols)} into {@code dst} at {@code dstOffset}. */
    public static void quantize(GgmlType activationType, float[] src, int srcOffset, int cols,
                                MemorySegment dst, long dstOffset) {
        long bytes = rowBytes(activationType, cols);
        if (dstOffset < 0 || dstOffset + bytes > dst.byteSize()) {
            throw new IndexOutOfBoundsException("destination holds " + dst.byteSize() + " bytes, row needs "
                    + bytes + " at " + dstOffset);
        }
        switch (activationType) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, Bytes.F32, dstOffset, cols);
            case F16 -> {
                for (int i = 0; i < cols; i++) dst.set(Bytes.I16, dstOffset + 2L * i, Half.fromFloat(src[srcOffset + i]));
            }
            case BF16 -> {
                for (int i = 0; i < cols; i++) dst.set(Bytes.I16, dstOffset + 2L * i, Half.floatToBf16(src[srcOffset + i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < cols / 32; b++) q8Block(src, srcOffset + 32 * b, dst, dstOffset + 34L * b, false);
            }
            case Q8_1 -> {
                for (int b = 0; b < cols / 32; b++) q8Block(src, srcOffset + 32 * b, dst, dstOffset + 36L * b, true);
            }
            case Q8_K -> {
                for (int b = 0; b < cols / 256; b++) q8KBlock(src, srcOffset + 256 * b, dst, dstOffset + 292L * b);
            }
            default -> throw new AssertionError(activationType);
        }
    }

    /**
     * Decodes the row {@link #quantize} wrote at {@code src[srcOffset ..]} back into {@code dst[dstOffset .. + cols)}: the
     * values ggml's dot products multiply, d · q per block (Q8_0 / Q8_1: fp16 d; Q8_K: float d), or the F32 / F16 / BF16
     * values. Q8_0 / Q8_1 values are exact in a float (fp16 d: 11 significant bits, |q| ≤ 128); Q8_K's float d · q rounds
     * once.
     */
    public static void dequantize(GgmlType activationType, MemorySegment src, long srcOffset, int cols,
                                  float[] dst, int dstOffset) {
        long bytes = rowBytes(activationType, cols);
        if (srcOffset < 0 || srcOffset + bytes > src.byteSize()) {
            throw new IndexOutOfBoundsException("source holds " + src.byteSize() + " bytes, row needs " + bytes
                    + " at " + srcOffset);
        }
        switch (activationType) {
            case F32 -> MemorySegment.copy(src, Bytes.F32, srcOffset, dst, dstOffset, cols);
            case F16 -> {
                for (int i = 0; i < cols; i++) dst[dstOffset + i] = Bytes.f16(src, srcOffset + 2L * i);
            }
            case BF16 -> {
                for (int i = 0; i < cols; i++) dst[dstOffset + i] = Half.bf16ToFloat(src.get(Bytes.I16, srcOffset + 2L * i));
            }
            case Q8_0, Q8_1 -> {
                int size = activationType == GgmlType.Q8_0 ? 34 : 36;
                for (int b = 0; b < cols / 32; b++) {
                    long o = srcOffset + (long) size * b;
                    float d = Bytes.f16(src, o);
                    long qs = o + size - 32;
                    for (int j = 0; j < 32; j++) dst[dstOffset + 32 * b + j] = d * Bytes.i8(src, qs + j);
                }
            }
            case Q8_K -> {
                for (int b = 0; b < cols / 256; b++) {
                    long o = srcOffset + 292L * b;
                    float d = src.get(Bytes.F32, o);
                    for (int j = 0; j < 256; j++) dst[dstOffset + 256 * b + j] = d * Bytes.i8(src, o + 4 + j);
                }
            }
            default -> throw new AssertionError(activationType);
        }
    }

    private static void checkType(GgmlType t) {
        switch (t) {
            case F32, F16, BF16, Q8_0, Q8_1, Q8_K -> { }
            default -> throw new IllegalArgumentException(t + " is not an activation type");
        }
    }

    /** One Q8_0 block {fp16 d, int8 qs[32]} or Q8_1 block {fp16 d, fp16 s, int8 qs[32]}, AVX2 semantics. */
    private static void q8Block(float[] x, int xo, MemorySegment dst, long o, boolean withSum) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        float d = amax / 127f;
        float id = amax != 0 ? 127f / amax : 0f;
        long qs = o + (withSum ? 4 : 2);
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            // vroundps nearest-even, then vcvtps2dq and the saturating packs (no-ops in range).
            int q = (int) Math.rint(x[xo + j] * id);
            q = Math.max(-128, Math.min(127, q));
            sum += q;
            dst.set(ValueLayout.JAVA_BYTE, qs + j, (byte) q);
        }
        dst.set(Bytes.I16, o, Half.fromFloat(d));
        if (withSum) dst.set(Bytes.I16, o + 2, Half.fromFloat(d * (float) sum));
    }

    /** One Q8_K block {float d, int8 qs[256], int16 bsums[16]}, quantize_row_q8_K_ref semantics. */
    private static void q8KBlock(float[] x, int xo, MemorySegment dst, long o) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + j];
            }
        }
        if (amax == 0) {
            dst.asSlice(o, 292).fill((byte) 0);
            return;
        }
        float iscale = -127f / max;
        for (int g = 0; g < 16; g++) {
            int bsum = 0;
            for (int j = 16 * g; j < 16 * g + 16; j++) {
                int q = Math.min(127, (int) Math.rint(iscale * x[xo + j]));
                bsum += q;
                dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, (byte) q);
            }
            dst.set(Bytes.I16, o + 4 + 256 + 2L * g, (short) bsum);
        }
        dst.set(Bytes.F32, o, 1 / iscale);
    }
}
