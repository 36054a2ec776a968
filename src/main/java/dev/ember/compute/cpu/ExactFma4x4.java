package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner product of the batched kernels ({@link Q4_0x8BatchKernel}, {@link Q4_Kx8BatchKernel},
 * {@link Q6_Kx8BatchKernel}): four expanded weight slots (eight rows each, lane i = row i) times four tokens' elements
 * broadcast, over {@code len} elements, as 16 independent FMA chains; one loaded weight vector serves four tokens and one
 * broadcast four slots (8 loads per 16 FMAs).
 *
 * <p>Exact when every partial sum is an integer of magnitude at most 2^24, which each caller's operand bounds ensure:
 * then the order of the additions does not matter and the result equals the integer kernels' sum.
 */
final class ExactFma4x4 {
    private ExactFma4x4() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /**
     * {@code c[8 · (4m + s) + i] = Σ_{e < len} wf[w + s · stride + 8e + i] · y[ym + e]} for slot s = 0..3, token m = 0..3
     * (y0..y3), row lane i = 0..7.
     */
    static void run(float[] wf, int w, int stride, float[] y, int y0, int y1, int y2, int y3, int len, float[] c) {
        int w1 = w + stride, w2 = w1 + stride, w3 = w2 + stride;
        // c{slot}{token}: [8] rows of the slot
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int e = 0; e < len; e++) {
            FloatVector v0 = FloatVector.fromArray(F, wf, w + 8 * e);
            FloatVector v1 = FloatVector.fromArray(F, wf, w1 + 8 * e);
            FloatVector v2 = FloatVector.fromArray(F, wf, w2 + 8 * e);
            FloatVector v3 = FloatVector.fromArray(F, wf, w3 + 8 * e);
            FloatVector x0 = FloatVector.broadcast(F, y[y0 + e]);
            FloatVector x1 = FloatVector.broadcast(F, y[y1 + e]);
            FloatVector x2 = FloatVector.broadcast(F, y[y2 + e]);
            FloatVector x3 = FloatVector.broadcast(F, y[y3 + e]);
            c00 = v0.fma(x0, c00);
            c10 = v1.fma(x0, c10);
            c20 = v2.fma(x0, c20);
            c30 = v3.fma(x0, c30);
            c01 = v0.fma(x1, c01);
            c11 = v1.fma(x1, c11);
            c21 = v2.fma(x1, c21);
            c31 = v3.fma(x1, c31);
            c02 = v0.fma(x2, c02);
            c12 = v1.fma(x2, c12);
            c22 = v2.fma(x2, c22);
            c32 = v3.fma(x2, c32);
            c03 = v0.fma(x3, c03);
            c13 = v1.fma(x3, c13);
            c23 = v2.fma(x3, c23);
            c33 = v3.fma(x3, c33);
        }
        c00.intoArray(c, 0);
        c10.intoArray(c, 8);
        c20.intoArray(c, 16);
        c30.intoArray(c, 24);
        c01.intoArray(c, 32);
        c11.intoArray(c, 40);
        c21.intoArray(c, 48);
        c31.intoArray(c, 56);
        c02.intoArray(c, 64);
        c12.intoArray(c, 72);
        c22.intoArray(c, 80);
        c32.intoArray(c, 88);
        c03.intoArray(c, 96);
        c13.intoArray(c, 104);
        c23.intoArray(c, 112);
        c33.intoArray(c, 120);
    }
}
