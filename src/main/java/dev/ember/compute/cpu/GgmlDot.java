package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Float dot products in the exact summation order of ggml's AVX2 {@code ggml_vec_dot_f32}: four 8-lane
 * FMA accumulators over 32-element steps (element i in accumulator lane i mod 32), reduced as
 * GGML_F32x8_REDUCE, then leftovers fused into the float sum. The attention products (F32 on an F32 KV
 * cache) follow it: the fixture references match it for Q·Kᵀ and P·V at every batch size (an 8-lane
 * tinyBLAS order for P·V in prompt batches did not). The order matters beyond the last bit for quantized
 * models: a 1-ulp difference in an attention output can move a Q8_0 activation across a rounding boundary.
 */
public final class GgmlDot {
    private GgmlDot() {}

    /** Accumulator lanes of ggml_vec_dot_f32 (GGML_F32_STEP). */
    public static final int LANES = 32;

    /**
     * Σ x[xo+i]·y[yo+i] for i < n, as ggml_vec_dot_f32 on AVX2/FMA.
     *
     * @param acc scratch of {@link #LANES} floats (overwritten), so the hot loop allocates nothing
     */
    public static float vecDotF32(float[] x, int xo, float[] y, int yo, int n, float[] acc) {
        int np = n & ~31;
        float sum = 0f;
        if (np > 0) {
            if (Lanes.ENABLED) {
                // the four 8-lane accumulators in registers: lane i mod 32 of step i / 32, as in ggml
                FloatVector a0 = FloatVector.zero(Lanes.F32x8), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < np; i += 32) {
                    a0 = FloatVector.fromArray(Lanes.F32x8, x, xo + i).fma(FloatVector.fromArray(Lanes.F32x8, y, yo + i), a0);
                    a1 = FloatVector.fromArray(Lanes.F32x8, x, xo + i + 8).fma(FloatVector.fromArray(Lanes.F32x8, y, yo + i + 8), a1);
                    a2 = FloatVector.fromArray(Lanes.F32x8, x, xo + i + 16).fma(FloatVector.fromArray(Lanes.F32x8, y, yo + i + 16), a2);
                    a3 = FloatVector.fromArray(Lanes.F32x8, x, xo + i + 24).fma(FloatVector.fromArray(Lanes.F32x8, y, yo + i + 24), a3);
                }
                a0.intoArray(acc, 0);
                a1.intoArray(acc, 8);
                a2.intoArray(acc, 16);
                a3.intoArray(acc, 24);
            } else if (Lanes.NARROW) {
                lanes128(x, xo, y, yo, np, acc);
            } else {
                java.util.Arrays.fill(acc, 0, LANES, 0f);
                for (int i = 0; i < np; i++) acc[i & 31] = Math.fma(x[xo + i], y[yo + i], acc[i & 31]);
            }
            sum = reduce32(acc, 0);
        }
        for (int i = np; i < n; i++) sum = Math.fma(x[xo + i], y[yo + i], sum);
        return sum;
    }

    /**
     * The 32 accumulator lanes of {@link #vecDotF32} over {@code np} (a multiple of 32) elements into {@code acc[0..32)},
     * in 128-bit vectors: eight 4-lane halves of ggml's four 8-lane accumulators, lane-wise FMAs, so the same bits.
     */
    static void lanes128(float[] x, int xo, float[] y, int yo, int np, float[] acc) {
        FloatVector a0 = FloatVector.zero(Lanes.F32x4), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0; i < np; i += 32) {
            a0 = FloatVector.fromArray(Lanes.F32x4, x, xo + i).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i), a0);
            a1 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 4).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 4), a1);
            a2 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 8).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 8), a2);
            a3 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 12).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 12), a3);
            a4 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 16).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 16), a4);
            a5 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 20).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 20), a5);
            a6 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 24).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 24), a6);
            a7 = FloatVector.fromArray(Lanes.F32x4, x, xo + i + 28).fma(FloatVector.fromArray(Lanes.F32x4, y, yo + i + 28), a7);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, 4);
        a2.intoArray(acc, 8);
        a3.intoArray(acc, 12);
        a4.intoArray(acc, 16);
        a5.intoArray(acc, 20);
        a6.intoArray(acc, 24);
        a7.intoArray(acc, 28);
    }

    /** GGML_F32x8_REDUCE of four 8-lane accumulators acc[off + 8j + lane]: (a0 + a2) + (a1 + a3), then lanes. */
    public static float reduce32(float[] acc, int off) {
        float l0 = (acc[off] + acc[off + 16]) + (acc[off + 8] + acc[off + 24]);
        float l1 = (acc[off + 1] + acc[off + 17]) + (acc[off + 9] + acc[off + 25]);
        float l2 = (acc[off + 2] + acc[off + 18]) + (acc[off + 10] + acc[off + 26]);
        float l3 = (acc[off + 3] + acc[off + 19]) + (acc[off + 11] + acc[off + 27]);
        float l4 = (acc[off + 4] + acc[off + 20]) + (acc[off + 12] + acc[off + 28]);
        float l5 = (acc[off + 5] + acc[off + 21]) + (acc[off + 13] + acc[off + 29]);
        float l6 = (acc[off + 6] + acc[off + 22]) + (acc[off + 14] + acc[off + 30]);
        float l7 = (acc[off + 7] + acc[off + 23]) + (acc[off + 15] + acc[off + 31]);
        return Lanes.reduce8(l0, l1, l2, l3, l4, l5, l6, l7);
    }


    /**
     * P·V accumulation step of ggml's order for one position t: {@code acc[(t mod 32) * n + d] = fma(v[vo + d], p,
     * acc[...])} for d < n. The accumulators are laid out lane-major ([32, n]) so that one position's update is contiguous;
     * each (d, lane) sees the same FMA sequence as ggml_vec_dot_f32 over positions. {@link #reduceStrided} reads them back.
     */
    public static void accumulatePv(float[] acc, int lane, float[] v, int vo, float p, int n) {
        int base = lane * n;
        int d = 0;
        if (Lanes.ENABLED || Lanes.NARROW) {   // element-wise FMAs: any vector width gives the same bits
            FloatVector pv = FloatVector.broadcast(PV, p);
            int step = PV.length();
            for (; d + step <= n; d += step) {
                FloatVector.fromArray(PV, v, vo + d).fma(pv, FloatVector.fromArray(PV, acc, base + d)).intoArray(acc, base + d);
            }
        }
        for (; d < n; d++) acc[base + d] = Math.fma(v[vo + d], p, acc[base + d]);
    }

    /** The vectors of {@link #accumulatePv}: 8 lanes with the full kernels, 4 where the JVM's vectors are 128 bits wide. */
    private static final jdk.incubator.vector.VectorSpecies<Float> PV = Lanes.ENABLED ? Lanes.F32x8 : Lanes.F32x4;

    /** {@link #reduce32} of the 32 lanes {@code acc[l * n + d]}, l < 32 (the layout of {@link #accumulatePv}). */
    public static float reduceStrided(float[] acc, int d, int n, float[] tmp) {
        for (int l = 0; l < LANES; l++) tmp[l] = acc[l * n + d];
        return reduce32(tmp, 0);
    }
}
