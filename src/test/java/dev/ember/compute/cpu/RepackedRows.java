package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;
import java.util.Random;

/**
 * What a repacked matrix must keep: every row decodes to the bits of the same row read in place; and a matrix that
 * cannot be repacked keeps working in place.
 */
final class RepackedRows {
    private RepackedRows() {}

    /** Repacks a [rows, cols] matrix of {@code type} over {@code bytes} and compares each decoded row with the original's. */
    static void assertDecodeAsTheOriginal(GgmlType type, int rows, int cols, byte[] bytes) {
        WeightMatrix plain = WeightMatrix.of(Blocks.tensor(type, rows, cols, bytes));
        WeightMatrix packed = WeightMatrix.of(Blocks.tensor(type, rows, cols, bytes));
        try (WorkerPool pool = new WorkerPool(2)) {
            assertTrue(CpuKernels.repack(packed, pool));
        }
        try {
            float[] a = new float[cols], b = new float[cols];
            for (int r = 0; r < rows; r++) {
                plain.dequantizeRow(r, a, 0);
                packed.dequantizeRow(r, b, 0);
                for (int k = 0; k < cols; k++) {
                    assertEquals(Float.floatToRawIntBits(a[k]), Float.floatToRawIntBits(b[k]),
                            type + " cols " + cols + " row " + r + " col " + k);
                }
            }
        } finally {
            CpuKernels.release(packed);
        }
    }

    /**
     * A [12, cols] matrix of {@code type} over {@code bytes} (rows not in groups of eight): not repacked, and its matmul is
     * still ggml's, bit for bit ({@link MatmulExpect}).
     */
    static void assertStaysInPlace(GgmlType type, int cols, byte[] bytes, Random rnd) {
        int rows = 12;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, bytes));
        try (WorkerPool pool = new WorkerPool(1)) {
            assertFalse(CpuKernels.repack(m, pool));
            assertNull(((Repackable) m).packedRecords());
            float[] x = Blocks.activations(cols, rnd);
            float[] out = new float[rows];
            new Matmul(pool).apply(m, x, 0, 1, out, 0);
            MatmulExpect.check(m, bytes, x, 1, out, 0, false, "rows 12");
        }
    }
}
