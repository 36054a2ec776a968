package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * What every repacked K-quant kernel ({@link Q4_Kx8Kernel}, {@link Q6_Kx8Kernel}) must give through {@link Matmul#apply}:
 * each output the bits of a scalar model of its arithmetic and within its error bound of the exact value, the same bits
 * for a token alone or in a batch, with one thread or two. The last batch has activations of ±3 everywhere, which
 * quantize to the Q8_K extremes -128 / 127.
 */
final class PackedKernelCheck {
    private PackedKernelCheck() {}

    /** [the kernel's result as a float, the exact value, Σ |terms|] for row r against one Q8_K activation row. */
    interface Model {
        double[] of(byte[] weights, int row, int cols, MemorySegment xq);
    }

    /** A bound on |kernel - exact| for {@code blocks} superblocks with Σ |terms| = abs. */
    interface Bound {
        double of(int blocks, double abs);
    }

    /** Random weights of [rows, cols]. */
    interface Weights {
        byte[] of(int rows, int cols, Random rnd);
    }

    static void check(GgmlType type, int[] colsList, Weights weights, Model model, Bound bound, Random rnd) {
        for (int cols : colsList) {
            for (int rows : new int[] {8, 24, 40}) {
                byte[] bytes = weights.of(rows, cols, rnd);
                for (int threads : new int[] {1, 2}) {
                    try (WorkerPool pool = new WorkerPool(threads)) {
                        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, bytes));
                        assertTrue(CpuKernels.repack(m, pool));
                        Matmul mm = new Matmul(pool);
                        for (int n : new int[] {1, 2, 5, 13, 16}) {
                            String ctx = type + " rows " + rows + " cols " + cols + " threads " + threads + " n " + n;
                            float[] x = Blocks.activations(cols * n, rnd);
                            if (n >= 5) for (int k = 0; k < cols; k++) x[k] = (k & 1) == 0 ? -3f : 3f;
                            float[] out = new float[rows * n + 3];
                            mm.apply(m, x, 0, n, out, 3);
                            for (int t = 0; t < n; t++) {
                                float[] xt = Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                                MemorySegment xq = Blocks.quantize(GgmlType.Q8_K, xt);
                                float[] alone = new float[rows];
                                mm.apply(m, xt, 0, 1, alone, 0);
                                for (int r = 0; r < rows; r++) {
                                    float got = out[3 + t * rows + r];
                                    String where = ctx + " token " + t + " row " + r;
                                    double[] e = model.of(bytes, r, cols, xq);
                                    assertEquals(Float.floatToRawIntBits((float) e[0]), Float.floatToRawIntBits(got), where + " (scalar model)");
                                    assertEquals(Float.floatToRawIntBits(alone[r]), Float.floatToRawIntBits(got), where + " (alone vs batch)");
                                    double b = bound.of(cols / 256, e[2]);
                                    assertTrue(Math.abs(got - e[1]) <= b, where + ": " + got + " vs exact " + e[1] + " bound " + b);
                                }
                            }
                        }
                        CpuKernels.release(m);
                        assertEquals(null, ((Repackable) m).packedRecords());
                    }
                }
            }
        }
    }
}
