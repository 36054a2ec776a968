package dev.ember.compute.dsl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A buffer of raw 16-bit values (f16 or bf16 bits, read with {@link KernelMath#f16ToF32} / {@link KernelMath#bf16ToF32}); {@code get} returns 0..65535, {@code set} stores the low 16 bits. Kernels index it in elements; the translator emits {@code __global ushort*}. */
public final class U16Buffer {
    private static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment segment;

    public U16Buffer(MemorySegment segment) {
        this.segment = segment;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Number of elements. */
    public int length() {
        return (int) (segment.byteSize() / 2);
    }

    public int get(int i) {
        return Short.toUnsignedInt(segment.getAtIndex(LAYOUT, i));
    }

    public void set(int i, int v) {
        segment.setAtIndex(LAYOUT, i, (short) v);
    }
}
