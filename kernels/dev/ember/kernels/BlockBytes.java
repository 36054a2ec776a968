package dev.ember.kernels;

import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.U8Buffer;

/** Little-endian fields of GGML blocks, read from and written to a byte buffer at byte offset {@code o}. */
final class BlockBytes {
    private BlockBytes() {}

    /** Signed int8 at o: -128..127. */
    static int i8(U8Buffer b, int o) {
        return KernelMath.signed8(b.get(o));
    }

    /** Unsigned 16 bits at o: 0..65535. */
    static int u16(U8Buffer b, int o) {
        return b.get(o) | (b.get(o + 1) << 8);
    }

    /** Signed int16 at o: -32768..32767. */
    static int i16(U8Buffer b, int o) {
        return (KernelMath.signed8(b.get(o + 1)) << 8) | b.get(o);
    }

    /** IEEE half at o, widened to float (exact). */
    static float f16(U8Buffer b, int o) {
        return KernelMath.f16ToF32(u16(b, o));
    }

    /** bfloat16 at o, widened to float (exact). */
    static float bf16(U8Buffer b, int o) {
        return KernelMath.bf16ToF32(u16(b, o));
    }

    /** 32-bit float at o. */
    static float f32(U8Buffer b, int o) {
        int bits = b.get(o) | (b.get(o + 1) << 8) | (b.get(o + 2) << 16) | (b.get(o + 3) << 24);
        return KernelMath.bitsToFloat(bits);
    }

    /** Stores the low 16 bits of v at o (an int16 or raw half bits). */
    static void put16(U8Buffer b, int o, int v) {
        b.set(o, v & 0xFF);
        b.set(o + 1, (v >>> 8) & 0xFF);
    }

    /** Stores the 32 bits of v at o. */
    static void put32(U8Buffer b, int o, int v) {
        b.set(o, v & 0xFF);
        b.set(o + 1, (v >>> 8) & 0xFF);
        b.set(o + 2, (v >>> 16) & 0xFF);
        b.set(o + 3, (v >>> 24) & 0xFF);
    }
}
