package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * What a matmul must give for activation rows {@code x [n, cols]}: {@link Matmul#apply}, the bits of one
 * {@link WeightMatrix#dot} per (token, row); {@link Matmul#applyGemm} ({@link FloatGemm}), a value within the GEMM's stated
 * error bound of the exact sum over the operands decoded test-side ({@link SpecDecode}, {@link Blocks#dequantActivations}), and
 * within twice that bound of the dot (both are roundings of the same exact sum).
 */
final class MatmulExpect {
    private MatmulExpect() {}

    /**
     * Q4_1 / Q5_1 against Q8_1: ggml's dot adds each block's {@code m · s}, where the quantizer stored s = fp16(d · Σq)
     * from the unrounded scale d, while the decoded activations use fp16(d): s may differ from their sum by 2^-11
     * (d's rounding) plus 2^-11 (s's), relative, times |m| per block. The min m is the block's second fp16.
     */
    private static double q8_1SumRounding(WeightMatrix m, byte[] weights, int row, float[] xd) {
        if (m.activationType() != dev.ember.gguf.GgmlType.Q8_1) return 0;
        double allowance = 0;
        int size = m.type().typeSize;
        for (int b = 0; b < m.cols() / 32; b++) {
            double min = SpecDecode.h(weights, (int) (row * m.rowBytes()) + b * size + 2), sum = 0;
            for (int k = 32 * b; k < 32 * b + 32; k++) sum += xd[k];
            allowance += Math.abs(min * sum) * 0x1p-10 * 1.001;
        }
        return allowance;
    }

    /**
     * Checks {@code out[outOff + b * rows + r]} for b < n, r < rows, as made by {@code applyGemm} ({@code gemm}) or
     * {@code apply}; {@code weights} are the matrix's bytes.
     */
    static void check(WeightMatrix m, byte[] weights, float[] x, int n, float[] out, int outOff, boolean gemm, String ctx) {
        int rows = m.rows(), cols = m.cols();
        float[][] w = new float[rows][];
        if (gemm) {
            for (int r = 0; r < rows; r++) w[r] = SpecDecode.row(m.type(), weights, (int) (r * m.rowBytes()), cols);
        }
        for (int b = 0; b < n; b++) {
            MemorySegment xq = Blocks.quantize(m.activationType(), Arrays.copyOfRange(x, b * cols, (b + 1) * cols));
            float[] xd = gemm ? Blocks.dequantActivations(m.activationType(), xq, cols) : null;
            for (int r = 0; r < rows; r++) {
                float got = out[outOff + b * rows + r], dot = m.dot(r, xq, 0);
                String where = ctx + " n " + n + " b " + b + " r " + r;
                if (!gemm) {
                    assertEquals(Float.floatToRawIntBits(dot), Float.floatToRawIntBits(got), where + " (ggml's bits)");
                    continue;
                }
                double exact = 0, sumAbs = 0;
                for (int k = 0; k < cols; k++) {
                    double p = (double) w[r][k] * xd[k];
                    exact += p;
                    sumAbs += Math.abs(p);
                }
                double bound = FloatGemm.errorBound(cols, sumAbs);
                assertTrue(Math.abs(got - exact) <= bound,
                        where + ": FloatGemm " + got + " vs exact " + exact + " (bound " + bound + ")");
                double dotBound = 2 * bound + q8_1SumRounding(m, weights, r, xd);
                assertTrue(Math.abs(got - dot) <= dotBound, where + ": FloatGemm " + got + " vs dot " + dot + " (allowed " + dotBound + ")");
            }
        }
    }
}
