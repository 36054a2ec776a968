package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian unaligned accessors: GGUF data is little-endian and blocks are not aligned (e.g. 18-byte Q4_0 blocks). */
final class Bytes {
    private Bytes() {}

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static int i8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    static short i16(MemorySegment s, long off) {
        return s.get(I16, off);
    }

    static int i32(MemorySegment s, long off) {
        return s.get(I32, off);
    }

    static float f32(MemorySegment s, long off) {
        return s.get(F32, off);
    }

    /** An fp16 field as float. */
    static float f16(MemorySegment s, long off) {
        return Half.toFloat(s.get(I16, off));
    }
}
