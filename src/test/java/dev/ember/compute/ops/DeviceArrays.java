package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Moves Java arrays to and from a backend's buffers (little-endian, as kernels read them). */
final class DeviceArrays {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private DeviceArrays() {}

    /** A new buffer holding {@code values}. */
    static DeviceBuffer upload(Backend backend, float[] values) {
        DeviceBuffer b = backend.allocate(4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * Math.max(1, values.length));
            MemorySegment.copy(values, 0, s, F32, 0, values.length);
            backend.upload(b, 0, s.asSlice(0, 4L * values.length));
        }
        return b;
    }

    /** A new buffer holding {@code values}. */
    static DeviceBuffer upload(Backend backend, int[] values) {
        DeviceBuffer b = backend.allocate(4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * Math.max(1, values.length));
            MemorySegment.copy(values, 0, s, I32, 0, values.length);
            backend.upload(b, 0, s.asSlice(0, 4L * values.length));
        }
        return b;
    }

    /** The first {@code n} floats of {@code b}. */
    static float[] floats(Backend backend, DeviceBuffer b, int n) {
        float[] out = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * Math.max(1, n));
            backend.download(b, 0, s.asSlice(0, 4L * n));
            MemorySegment.copy(s, F32, 0, out, 0, n);
        }
        return out;
    }

    /** The first {@code n} ints of {@code b}. */
    static int[] ints(Backend backend, DeviceBuffer b, int n) {
        int[] out = new int[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * Math.max(1, n));
            backend.download(b, 0, s.asSlice(0, 4L * n));
            MemorySegment.copy(s, I32, 0, out, 0, n);
        }
        return out;
    }
}
