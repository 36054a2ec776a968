package dev.ember.compute.dsl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A buffer of 32-bit signed ints. Kernels index it in elements; the translator emits {@code __global int*}. */
public final class I32Buffer {
    private static final ValueLayout.OfInt LAYOUT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment segment;

    public I32Buffer(MemorySegment segment) {
        this.segment = segment;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Number of elements. */
    public int length() {
        return (int) (segment.byteSize() / 4);
    }

    public int get(int i) {
        return segment.getAtIndex(LAYOUT, i);
    }

    public void set(int i, int v) {
        segment.setAtIndex(LAYOUT, i, v);
    }
}
