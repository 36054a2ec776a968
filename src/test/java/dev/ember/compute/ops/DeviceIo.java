package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Moves test arrays to and from a backend through {@link Backend#upload} / {@link Backend#download} only, staging
 * them in native memory (device backends copy from native segments).
 */
final class DeviceIo {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private DeviceIo() {}

    /** A new device buffer holding {@code bytes} (all of it). */
    static DeviceBuffer upload(Backend backend, MemorySegment bytes) {
        DeviceBuffer b = backend.allocate(bytes.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staged = arena.allocate(Math.max(1, bytes.byteSize()));
            MemorySegment.copy(bytes, 0, staged, 0, bytes.byteSize());
            backend.upload(b, 0, staged.asSlice(0, bytes.byteSize()));
        }
        return b;
    }

    /** A new device buffer holding the floats little-endian. */
    static DeviceBuffer upload(Backend backend, float[] values) {
        MemorySegment s = MemorySegment.ofArray(new byte[4 * values.length]);
        for (int i = 0; i < values.length; i++) s.setAtIndex(F32, i, values[i]);
        return upload(backend, s);
    }

    /** A new device buffer holding the ints little-endian. */
    static DeviceBuffer upload(Backend backend, int[] values) {
        MemorySegment s = MemorySegment.ofArray(new byte[4 * values.length]);
        for (int i = 0; i < values.length; i++) s.setAtIndex(I32, i, values[i]);
        return upload(backend, s);
    }

    /** The first {@code count} bytes of {@code b}. */
    static byte[] bytes(Backend backend, DeviceBuffer b, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staged = arena.allocate(count);
            backend.download(b, 0, staged);
            return staged.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** The first {@code count} floats of {@code b}. */
    static float[] floats(Backend backend, DeviceBuffer b, int count) {
        MemorySegment s = MemorySegment.ofArray(bytes(backend, b, 4 * count));
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = s.getAtIndex(F32, i);
        return out;
    }
}
