package dev.ember.compute.dsl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A buffer of 32-bit floats. Kernels index it in elements; the translator emits {@code __global float*}. */
public final class F32Buffer {
    private static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment segment;

    public F32Buffer(MemorySegment segment) {
        this.segment = segment;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Number of elements. */
    public int length() {
        return (int) (segment.byteSize() / 4);
    }

    public float get(int i) {
        return segment.getAtIndex(LAYOUT, i);
    }

    public void set(int i, float v) {
        segment.setAtIndex(LAYOUT, i, v);
    }
}
