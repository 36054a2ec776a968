package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;

/** What a repacked matrix must keep: every row decodes to the bits of the same row read in place. */
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
}
