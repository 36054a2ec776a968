package dev.ember.model;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.WeightMatrix;
import dev.ember.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;

/**
 * A weight matrix [rows, cols] in device memory. Types with device kernels (F32, F16, Q8_0, Q4_0, Q4_K,
 * Q6_K) are uploaded as their GGML blocks, unchanged; every other type is dequantized to F32 on the host
 * first (exact for BF16; the fallback for Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K).
 *
 * @param type       the encoding on the device
 * @param activation how ggml encodes activations for the file's own type (its vec_dot_type): Q8_0, Q8_1 or Q8_K
 *                   for a dequantized fallback type, whose matmul then rounds activations the same way first;
 *                   F32 when nothing is rounded beyond what {@code type}'s own kernel does
 */
record DeviceWeight(DeviceBuffer buffer, GgmlType type, GgmlType activation, int rows, int cols) implements AutoCloseable {
    /** Types the device kernels read directly. */
    static final Set<GgmlType> NATIVE = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);

    static DeviceWeight upload(Backend backend, WeightMatrix m) {
        if (NATIVE.contains(m.type())) {
            MemorySegment data = m.data();
            DeviceBuffer b = allocate(backend, m, data.byteSize());
            backend.upload(b, 0, data);
            return new DeviceWeight(b, m.type(), GgmlType.F32, m.rows(), m.cols());
        }
        long bytes = (long) m.rows() * m.cols() * Float.BYTES;
        DeviceBuffer b = allocate(backend, m, bytes);
        float[] row = new float[m.cols()]; // [cols]
        long chunkRows = Math.max(1, (16L << 20) / (m.cols() * 4L));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stage = arena.allocate(chunkRows * m.cols() * Float.BYTES, 16); // [chunkRows, cols] f32
            for (int r0 = 0; r0 < m.rows(); r0 += (int) chunkRows) {
                int count = (int) Math.min(chunkRows, m.rows() - r0);
                for (int r = 0; r < count; r++) {
                    m.dequantizeRow(r0 + r, row, 0);
                    MemorySegment.copy(row, 0, stage, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * m.cols() * Float.BYTES, m.cols());
                }
                backend.upload(b, (long) r0 * m.cols() * Float.BYTES, stage.asSlice(0, (long) count * m.cols() * Float.BYTES));
            }
        }
        GgmlType act = m.activationType();
        return new DeviceWeight(b, GgmlType.F32, act == GgmlType.F32 || act == GgmlType.BF16 || act == GgmlType.F16 ? GgmlType.F32 : act,
                m.rows(), m.cols());
    }

    private static DeviceBuffer allocate(Backend backend, WeightMatrix m, long bytes) {
        if (bytes > backend.maxAllocationBytes()) {
            throw new IllegalArgumentException("tensor " + m.name() + " needs " + bytes + " bytes on the device; the "
                    + backend.name() + " device allows at most " + backend.maxAllocationBytes() + " per allocation");
        }
        return backend.allocate(bytes);
    }

    @Override
    public void close() {
        buffer.close();
    }
}
