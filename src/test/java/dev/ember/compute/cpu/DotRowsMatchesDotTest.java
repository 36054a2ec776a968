package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * dotRows (one weight row × several activation rows, each weight block unpacked once) gives exactly the bits of dot() per
 * activation row, for every type: n = 1..9 (group tails), odd row counts, rows of many blocks, strided outputs; and
 * Matmul.apply equals the per-row dots.
 */
class DotRowsMatchesDotTest {

    /** The warm split path (dotSplit4 over groups of four tokens); the cold one has its own test below. */
    @org.junit.jupiter.api.BeforeEach
    void warmSplitPath() {
        Matmul.coldSplitCallsLeft(0);
    }

    /**
     * A process's first split-path matmuls ({@link Matmul#COLD_SPLIT_CALLS}) run every token through dotSplit, later ones
     * group tokens by four (dotSplit4): the same bits either way, and the switch comes after the counted calls. (Q4_K
     * takes the split path up to 3 tokens only, so it never groups by four.)
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q6_K"})
    void coldSplitPathEqualsWarmPath(GgmlType type) {
        Random rnd = new Random(5 + type.ordinal());
        int cols = type.blockSize == 256 ? 512 : 96, rows = 7, n = 6;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
        float[] x = Blocks.activations(cols * n, rnd);
        try (WorkerPool pool = new WorkerPool(2)) {
            Matmul mm = new Matmul(pool);
            Matmul.coldSplitCallsLeft(2);
            float[] cold = new float[rows * n], cold2 = new float[rows * n], warm = new float[rows * n];
            mm.apply(m, x, 0, n, cold, 0);
            assertEquals(1, Matmul.coldSplitCallsLeft());
            mm.apply(m, x, 0, n, cold2, 0);
            assertEquals(0, Matmul.coldSplitCallsLeft());
            mm.apply(m, x, 0, n, warm, 0);
            assertEquals(0, Matmul.coldSplitCallsLeft());
            for (int i = 0; i < warm.length; i++) {
                assertEquals(Float.floatToRawIntBits(warm[i]), Float.floatToRawIntBits(cold[i]), type + " output " + i);
                assertEquals(Float.floatToRawIntBits(warm[i]), Float.floatToRawIntBits(cold2[i]), type + " output " + i);
            }
        } finally {
            Matmul.coldSplitCallsLeft(0);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dotRowsEqualsDotBitForBit(GgmlType type) {
        Random rnd = new Random(1234 + type.ordinal());
        int[] colsList = switch (type.blockSize) {
            case 1 -> new int[] {7, 32, 1003, 2048};
            case 32 -> new int[] {32, 32 * 3, 32 * 37};
            default -> new int[] {256, 256 * 3, 256 * 9};
        };
        for (int cols : colsList) {
            for (int rows : new int[] {1, 3, 7}) {
                WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
                GgmlType at = m.activationType();
                long rb = Activations.rowBytes(at, cols);
                int maxN = 9;
                long stride = rb + 6;   // not a multiple of the block size: offsets must not matter
                MemorySegment xq = MemorySegment.ofArray(new byte[(int) (stride * maxN + 3)]);
                for (int b = 0; b < maxN; b++) {
                    Activations.quantize(at, Blocks.activations(cols, rnd), 0, cols, xq, 3 + b * stride);
                }
                for (int n = 1; n <= maxN; n++) {
                    for (int r = 0; r < rows; r++) {
                        float[] out = new float[5 + 2 * n];
                        m.dotRows(r, xq, 3, stride, n, out, 5, 2);
                        for (int b = 0; b < n; b++) {
                            float e = m.dot(r, xq, 3 + b * stride);
                            assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(out[5 + 2 * b]),
                                    type + " cols " + cols + " rows " + rows + " n " + n + " row " + r + " b " + b);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void matmulEqualsPerRowDots(GgmlType type) {
        Random rnd = new Random(99 + type.ordinal());
        int cols = type.blockSize == 256 ? 512 : 96, rows = 13;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
        try (WorkerPool pool = new WorkerPool(2)) {
            Matmul mm = new Matmul(pool);
            for (int n : new int[] {1, 2, 5, 8, 11}) {
                float[] x = Blocks.activations(cols * n, rnd);
                float[] out = new float[rows * n + 1];
                mm.apply(m, x, 0, n, out, 1);
                for (int b = 0; b < n; b++) {
                    float[] xb = java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols);
                    MemorySegment xq = Blocks.quantize(m.activationType(), xb);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(Float.floatToRawIntBits(m.dot(r, xq, 0)), Float.floatToRawIntBits(out[1 + b * rows + r]),
                                type + " n " + n + " b " + b + " r " + r);
                    }
                }
            }
        }
    }

    /**
     * The N > 1 paths of Q4_0 / Q8_0 against single-row dots: up to {@link SplitWeights#splitMaxN} tokens the split kernels
     * ({@link SplitWeights#dotSplit4} over four tokens, dotSplit for the rest, token tiles: cols 32768 gives 4 tokens per
     * tile), beyond it the lane GEMM (float-exact lane sums, 2 rows × 4 tokens, token tiles). Odd row counts (the unpaired
     * last row), token counts around the 4-token groups, and weights whose last block ends exactly at the end of the data
     * (Q4_0's last row then takes its narrow dot). n = 1 runs the split single-row kernels ({@link SplitQ8}).
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void laneGemmEqualsPerRowDots(GgmlType type) {
        Random rnd = new Random(7 + type.ordinal());
        for (int[] shape : new int[][] {{5, 64}, {3, 32 * 67}, {4, 8192}, {3, 32768}}) {
            int rows = shape[0], cols = shape[1];
            byte[] bytes = Blocks.random(type, rows, cols, rnd);
            MemorySegment slack = java.lang.foreign.Arena.ofAuto().allocate(bytes.length + 16, 64);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, slack, 0, bytes.length);
            for (WeightMatrix m : new WeightMatrix[] {WeightMatrix.of(Blocks.tensor(type, rows, cols, bytes)),
                    WeightMatrix.of(new dev.ember.gguf.GgufTensor("slack", type, new long[] {cols, rows}, 0, slack))}) {
                try (WorkerPool pool = new WorkerPool(2)) {
                    Matmul mm = new Matmul(pool);
                    int max = ((SplitWeights) m).splitMaxN();
                    for (int n : new int[] {1, 2, 3, 4, 5, 7, max, max + 1, 35}) {
                        float[] x = Blocks.activations(cols * n, rnd);
                        float[] out = new float[rows * n];
                        mm.apply(m, x, 0, n, out, 0);
                        for (int b = 0; b < n; b++) {
                            MemorySegment xq = Blocks.quantize(m.activationType(),
                                    java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols));
                            for (int r = 0; r < rows; r++) {
                                assertEquals(Float.floatToRawIntBits(m.dot(r, xq, 0)), Float.floatToRawIntBits(out[b * rows + r]),
                                        type + " rows " + rows + " cols " + cols + " n " + n + " b " + b + " r " + r);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Q4_K / Q6_K: up to {@link SplitWeights#splitMaxN} tokens the split kernels (dotSplit4 over four tokens, dotSplit for
     * the rest, token tiles: cols 65536 gives 4 tokens per tile), beyond it Q4_KLaneGemm / Q6_KLaneGemm (float-exact lane
     * GEMMs): bit-identical to the single-row dots, across odd row counts (the unpaired last row), token counts around the
     * 4-token groups and past one token tile (lane GEMMs at cols 8192: 14 or 11 tokens per tile), and weights whose last
     * superblock ends exactly at the end of the data.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q6_K"})
    void kLaneGemmEqualsPerRowDots(GgmlType type) {
        Random rnd = new Random(11 + type.ordinal());
        for (int[] shape : new int[][] {{1, 256}, {3, 256 * 3}, {5, 8192}, {3, 65536}}) {
            int rows = shape[0], cols = shape[1];
            WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
            int max = ((SplitWeights) m).splitMaxN();
            try (WorkerPool pool = new WorkerPool(2)) {
                Matmul mm = new Matmul(pool);
                for (int n : new int[] {1, 2, 3, 4, 5, 7, max, max + 1, 17, 35}) {
                    float[] x = Blocks.activations(cols * n, rnd);
                    float[] out = new float[rows * n];
                    mm.apply(m, x, 0, n, out, 0);
                    for (int b = 0; b < n; b++) {
                        MemorySegment xq = Blocks.quantize(m.activationType(),
                                java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols));
                        for (int r = 0; r < rows; r++) {
                            assertEquals(Float.floatToRawIntBits(m.dot(r, xq, 0)), Float.floatToRawIntBits(out[b * rows + r]),
                                    type + " rows " + rows + " cols " + cols + " n " + n + " b " + b + " r " + r);
                        }
                    }
                }
            }
        }
    }

    /**
     * Q6_K lane sums past 2^24, where the int-to-float conversion in {@code dot} rounds: all 6-bit quants 63, scales
     * alternating 127 / -128, constant activations (every Q8_K quant at full scale). The lane GEMM must round the same.
     */
    @org.junit.jupiter.api.Test
    void q6KLaneGemmRoundsLargeLaneSumsLikeDot() {
        int rows = 3, cols = 512, n = 5;
        byte[] bytes = new byte[rows * 2 * 210];
        java.util.Arrays.fill(bytes, (byte) 0xFF);
        for (int blk = 0; blk < rows * 2; blk++) {
            for (int j = 0; j < 16; j++) bytes[blk * 210 + 192 + j] = (byte) ((j & 1) == 0 ? 127 : -128);
            bytes[blk * 210 + 208] = 0x00;   // d = fp16 0x1400 (~0.001)
            bytes[blk * 210 + 209] = 0x14;
        }
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q6_K, rows, cols, bytes));
        float[] x = new float[cols * n];
        for (int b = 0; b < n; b++) java.util.Arrays.fill(x, b * cols, (b + 1) * cols, b % 2 == 0 ? 1.5f : -0.25f * (b + 1));
        try (WorkerPool pool = new WorkerPool(2)) {
            float[] out = new float[rows * n];
            new Matmul(pool).apply(m, x, 0, n, out, 0);
            for (int b = 0; b < n; b++) {
                MemorySegment xq = Blocks.quantize(m.activationType(), java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols));
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(m.dot(r, xq, 0)), Float.floatToRawIntBits(out[b * rows + r]), "b " + b + " r " + r);
                }
            }
        }
    }
}
