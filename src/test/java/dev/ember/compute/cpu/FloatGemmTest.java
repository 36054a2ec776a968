package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link FloatGemm} through {@link Matmul#applyGemm}: within its error bound of the exact sum for every
 * weight type, at row counts that leave 1-3 rows of a 4-row group, token counts that leave 1-3 tokens of a 4-token tile,
 * columns that leave a scalar tail (F32 / F16), more tokens than one token tile holds; and each (row, token) output the
 * same bits whatever the batch size, thread count or position in the batch.
 */
class FloatGemmTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void withinBoundOfExactSum(GgmlType type) {
        Random rnd = new Random(31 + type.ordinal());
        int[] colsList = type.blockSize == 1 ? new int[] {7, 1003} : type.blockSize == 32 ? new int[] {32, 32 * 37} : new int[] {256, 256 * 5};
        for (int cols : colsList) {
            for (int rows : new int[] {1, 6, 9}) {
                byte[] bytes = Blocks.random(type, rows, cols, rnd);
                WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, bytes));
                try (WorkerPool pool = new WorkerPool(2)) {
                    Matmul mm = new Matmul(pool);
                    for (int n : new int[] {1, 2, 3, 4, 5, 17, 18, 19, 20}) {
                        float[] x = Blocks.activations(cols * n, rnd);
                        float[] out = new float[rows * n + 3];
                        mm.applyGemm(m, x, 0, n, out, 3);
                        MatmulExpect.check(m, bytes, x, n, out, 3, Lanes.ENABLED, type + " rows " + rows + " cols " + cols);
                    }
                }
            }
        }
    }

    /** 65536 columns: 16 tokens per 4 MiB tile, so 37 tokens span three tiles, the last one of 5. */
    @Test
    void tokenTiles() {
        Random rnd = new Random(77);
        int rows = 5, cols = 65536, n = 37;
        byte[] bytes = Blocks.random(GgmlType.Q4_0, rows, cols, rnd);
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q4_0, rows, cols, bytes));
        float[] x = Blocks.activations(cols * n, rnd);
        try (WorkerPool pool = new WorkerPool(2)) {
            float[] out = new float[rows * n];
            new Matmul(pool).applyGemm(m, x, 0, n, out, 0);
            MatmulExpect.check(m, bytes, x, n, out, 0, Lanes.ENABLED, "Q4_0 tiles");
        }
    }

    /**
     * A token's outputs do not depend on the batch around it: the first tokens of a batch of 40, the same tokens as a batch
     * of 17, 23, 3 or 1, on 1 or 2 threads (other row splits), give the same bits.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_K", "F32"})
    void outputsDoNotDependOnBatch(GgmlType type) {
        Random rnd = new Random(5);
        int rows = 23, cols = type.blockSize == 256 ? 512 : 160;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
        float[] x = Blocks.activations(cols * 40, rnd);
        float[] ref = null;
        for (int threads : new int[] {1, 2}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                Matmul mm = new Matmul(pool);
                for (int n : new int[] {40, 17, 23, 3, 1}) {
                    float[] out = new float[rows * n];
                    mm.applyGemm(m, x, 0, n, out, 0);
                    if (ref == null) ref = out;
                    for (int i = 0; i < out.length; i++) {
                        assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(out[i]),
                                type + " threads " + threads + " n " + n + " output " + i);
                    }
                }
            }
        }
    }

    /**
     * A batch mixing generated tokens (exact) and prompt tokens: each row takes its own path, and gets the bits it gets
     * alone (the dot for an exact row, a one-token applyGemm for the others), in its own output row.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q6_K", "Q4_K", "F16"})
    void mixedBatchRowsTakeTheirOwnPath(GgmlType type) {
        Random rnd = new Random(13 + type.ordinal());
        int rows = 9, cols = type.blockSize == 256 ? 512 : 96, n = 21;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
        float[] x = Blocks.activations(cols * n, rnd);
        boolean[] exact = new boolean[n];
        for (int b = 0; b < n; b++) exact[b] = b % 3 == 1 || b == n - 1;
        try (WorkerPool pool = new WorkerPool(2)) {
            Matmul mm = new Matmul(pool);
            float[] out = new float[rows * n + 2];
            mm.apply(m, x, 0, n, out, 2, exact);
            for (int b = 0; b < n; b++) {
                float[] alone = new float[rows];
                if (exact[b]) {
                    MemorySegment xq = Blocks.quantize(m.activationType(), Arrays.copyOfRange(x, b * cols, (b + 1) * cols));
                    for (int r = 0; r < rows; r++) alone[r] = m.dot(r, xq, 0);
                } else {
                    mm.applyGemm(m, x, b * cols, 1, alone, 0);
                }
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(alone[r]), Float.floatToRawIntBits(out[2 + b * rows + r]),
                            type + " token " + b + (exact[b] ? " (exact)" : " (gemm)") + " row " + r);
                }
            }
        }
    }

    /** The bound used by the tests: cols / 8 FMAs per lane, three reduction levels, the tail, one more rounding. */
    @Test
    void errorBoundFormula() {
        assertEquals((256 + 4) * 0x1p-24 * 1.0001, FloatGemm.errorBound(2048, 1.0), 1e-15);
        assertEquals((1 + 3 + 4) * 0x1p-24 * 2 * 1.0001, FloatGemm.errorBound(11, 2.0), 1e-15);
        assertTrue(Arrays.stream(new int[] {8, 64, 8192}).allMatch(c -> FloatGemm.errorBound(c, 0) == 0));
    }
}
