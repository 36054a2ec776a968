package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Q4_0 matrices repacked eight rows at a time ({@link Q4_0x8}) through {@link Matmul#apply} ({@link Q4_0x8Kernel}): each
 * output is the bits of a scalar model of the kernel's arithmetic (exact integer block sums, {@code fma(sum, d_w · d_y,
 * acc)} in block order), within {@link Q4_0x8Kernel#errorBound} of the exact sum, and the same bits whatever the batch
 * or the thread count; decoding a repacked row gives the original values.
 */
class Q4_0x8Test {
    private static final int[] COLS = {32, 32 * 16, 32 * 28, 32 * 40};   // one block, one full tile, 16 + 12, 16 + 16 + 8
    private static final int[] TOKENS = {1, 2, 3, 4, 5, 7, 9, 13, 16};

    /** Random Q4_0 data with a few special fp16 scales: zero, negative zero, subnormals, negative, the largest normal. */
    private static byte[] weights(int rows, int cols, Random rnd) {
        byte[] b = Blocks.random(GgmlType.Q4_0, rows, cols, rnd);
        short[] special = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x03FF, (short) 0xBC00, 0x7BFF, (short) 0xC3A1};
        int blocks = rows * cols / 32;
        for (int i = 0; i < special.length && i < blocks; i++) {
            int blk = (i * 7919) % blocks;
            b[18 * blk] = (byte) special[i];
            b[18 * blk + 1] = (byte) (special[i] >> 8);
        }
        return b;
    }

    /** The kernel's arithmetic, scalar: per block the exact Σ (q - 8) · y, then acc = fma(sum, d_w · d_y, acc). */
    private static float model(byte[] w, int row, int cols, MemorySegment xq) {
        ByteBuffer wb = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer xb = xq.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int blocks = cols / 32;
        float acc = 0;
        for (int b = 0; b < blocks; b++) {
            int wo = (row * blocks + b) * 18, xo = b * 34;
            int sum = 0;
            for (int j = 0; j < 16; j++) {
                int q = w[wo + 2 + j] & 0xFF;
                sum += ((q & 0xF) - 8) * xb.get(xo + 2 + j) + ((q >>> 4) - 8) * xb.get(xo + 18 + j);
            }
            float d = Float.float16ToFloat(wb.getShort(wo)) * Float.float16ToFloat(xb.getShort(xo));
            acc = Math.fma((float) sum, d, acc);
        }
        return acc;
    }

    @Test
    void matchesTheScalarModelBitForBitAndTheExactSumWithinTheBound() {
        assumeTrue(Lanes.ENABLED, "the repacked kernels need 256-bit vectors");
        Random rnd = new Random(11);
        for (int cols : COLS) {
            for (int rows : new int[] {8, 24, 64, 104}) {
                byte[] bytes = weights(rows, cols, rnd);
                for (int threads : new int[] {1, 2}) {
                    try (WorkerPool pool = new WorkerPool(threads)) {
                        Q4_0Matrix m = (Q4_0Matrix) WeightMatrix.of(Blocks.tensor(GgmlType.Q4_0, rows, cols, bytes));
                        assertTrue(CpuKernels.repack(m, pool));
                        assertNotNull(m.packed());
                        Matmul mm = new Matmul(pool);
                        for (int n : TOKENS) {
                            String ctx = "rows " + rows + " cols " + cols + " threads " + threads + " n " + n;
                            float[] x = Blocks.activations(cols * n, rnd);
                            float[] out = new float[rows * n + 5];
                            mm.apply(m, x, 0, n, out, 5);
                            float[][] alone = new float[n][];
                            for (int t = 0; t < n; t++) {
                                float[] xt = Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                                MemorySegment xq = Blocks.quantize(GgmlType.Q8_0, xt);
                                float[] xd = Blocks.dequantActivations(GgmlType.Q8_0, xq, cols);
                                alone[t] = new float[rows];
                                mm.apply(m, xt, 0, 1, alone[t], 0);
                                for (int r = 0; r < rows; r++) {
                                    float got = out[5 + t * rows + r];
                                    String where = ctx + " token " + t + " row " + r;
                                    assertEquals(Float.floatToRawIntBits(model(bytes, r, cols, xq)), Float.floatToRawIntBits(got),
                                            where + " (scalar model)");
                                    assertEquals(Float.floatToRawIntBits(alone[t][r]), Float.floatToRawIntBits(got),
                                            where + " (alone vs in a batch of " + n + ")");
                                    float[] wr = new float[cols];
                                    m.dequantizeRow(r, wr, 0);
                                    double exact = 0, abs = 0;
                                    for (int k = 0; k < cols; k++) {
                                        exact += (double) wr[k] * xd[k];
                                        abs += Math.abs((double) wr[k] * xd[k]);
                                    }
                                    double bound = Q4_0x8Kernel.errorBound(cols / 32, abs);
                                    assertTrue(Math.abs(got - exact) <= bound, where + ": " + got + " vs exact " + exact + " bound " + bound);
                                }
                            }
                        }
                        m.unpack();
                        assertNull(m.packed());
                    }
                }
            }
        }
    }

    @Test
    void repackedRowsDecodeToTheOriginalValues() {
        assumeTrue(Lanes.ENABLED, "the repacked kernels need 256-bit vectors");
        Random rnd = new Random(13);
        for (int cols : COLS) RepackedRows.assertDecodeAsTheOriginal(GgmlType.Q4_0, 24, cols, weights(24, cols, rnd));
    }

    @Test
    void rowsNotInGroupsOfEightStayInPlace() {
        Random rnd = new Random(14);
        RepackedRows.assertStaysInPlace(GgmlType.Q4_0, 64, weights(12, 64, rnd), rnd);
    }

    @Test
    void otherTypesAreNotRepacked() {
        Random rnd = new Random(15);
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q8_0, 8, 64, Blocks.random(GgmlType.Q8_0, 8, 64, rnd)));
        try (WorkerPool pool = new WorkerPool(1)) {
            assertFalse(CpuKernels.repack(m, pool));
        }
    }
}
