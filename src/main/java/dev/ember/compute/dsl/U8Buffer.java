package dev.ember.compute.dsl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A buffer of bytes (GGML quant blocks, int8 quants); {@code get} returns 0..255, {@code set} stores the low 8 bits. Kernels index it in elements; the translator emits {@code __global uchar*}. */
public final class U8Buffer {
    private static final ValueLayout.OfByte LAYOUT = ValueLayout.JAVA_BYTE;
    private final MemorySegment segment;

    public U8Buffer(MemorySegment segment) {
        this.segment = segment;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Number of elements. */
    public int length() {
        return (int) (segment.byteSize() / 1);
    }

    public int get(int i) {
        return Byte.toUnsignedInt(segment.get(LAYOUT, i));
    }

    public void set(int i, int v) {
        segment.set(LAYOUT, i, (byte) v);
    }
}
