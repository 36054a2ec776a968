package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Vector API dot() of every type agrees with the plain scalar ReferenceDot on random rows (odd row counts, rows of many
 * blocks, F32/F16/BF16 rows with a leftover tail). The two differ only in float summation order, so the bound is
 * 1e-5 × Σ|w_i·x_i| (relative to the magnitude of the terms, which is what reordering error scales with).
 */
class VectorDotMatchesReferenceTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void vectorDotEqualsScalarReference(GgmlType type) {
        assertTrue(Lanes.ENABLED, "this machine should run the vector path");
        Random rnd = new Random(42 + type.ordinal());
        int cols = switch (type.blockSize) {
            case 1 -> 1003;            // 31 full 32-element steps plus an 11-element tail
            case 32 -> 32 * 37;
            default -> 256 * 7;
        };
        int rows = 5;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
        float[] w = new float[cols];
        for (int trial = 0; trial < 4; trial++) {
            float[] x = Blocks.activations(cols, rnd);
            MemorySegment xq = Blocks.quantize(m.activationType(), x);
            float[] xd = Blocks.dequantActivations(m.activationType(), xq, cols);
            for (int r = 0; r < rows; r++) {
                m.dequantizeRow(r, w, 0);
                double mag = 0;
                for (int i = 0; i < cols; i++) mag += Math.abs((double) w[i] * xd[i]);
                float ref = m.dotReference(r, xq, 0);
                float vec = m.dot(r, xq, 0);
                assertEquals(ref, vec, 1e-5 * mag, type + " row " + r + " trial " + trial);
            }
        }
    }
}
