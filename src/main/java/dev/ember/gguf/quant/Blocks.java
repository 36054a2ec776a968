package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian stores, fp16 and rounding helpers shared by the quantizers. */
final class Blocks {
    private Blocks() {}

    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static void checkRow(GgmlType type, float[] src, int off, int n, MemorySegment dst, long dstOff) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " row length " + n + " is not a multiple of " + type.blockSize);
        }
        if (off < 0 || off + n > src.length) throw new IndexOutOfBoundsException("src[" + off + ", " + (off + n) + ") of " + src.length);
        if (dstOff < 0 || dstOff + type.bytesFor(n) > dst.byteSize()) {
            throw new IndexOutOfBoundsException(type + " row of " + n + " needs " + type.bytesFor(n) + " bytes at " + dstOff
                    + ", segment has " + dst.byteSize());
        }
    }

    static void putByte(MemorySegment dst, long at, int v) {
        dst.set(ValueLayout.JAVA_BYTE, at, (byte) v);
    }

    /** Stores {@code v} as IEEE half, rounded to nearest even (as ggml's GGML_FP32_TO_FP16). */
    static void putF16(MemorySegment dst, long at, float v) {
        dst.set(SHORT, at, Float.floatToFloat16(v));
    }

    /** The smallest non-negative fp16 value that is >= {@code v} (v >= 0, finite), so a scale never shrinks. */
    static short f16AtLeast(float v) {
        short h = Float.floatToFloat16(v);
        if (Float.float16ToFloat(h) < v) h++; // positive halves order like their bit patterns
        return h;
    }

    /** C's roundf: to nearest, halves away from zero (ggml's Q8_0 uses it). */
    static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** ggml's nearest_int: to nearest, halves to even. */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /** Ceiling of {@code a / b} clamped to [0, max]; 0 when {@code b} is 0. */
    static int ceilRatio(float a, float b, int max) {
        if (b <= 0) return 0;
        return (int) Math.min(max, Math.max(0, Math.ceil(a / b)));
    }
}
