package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

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
                // reduce32 in registers, the same additions: l_k = (lane k + lane k+16) + (lane k+8 + lane k+24), then
                // Lanes.reduce8: t_k = l_k + l_{k+4}, (t0 + t1) + (t2 + t3)
                FloatVector l = a0.add(a2).add(a1.add(a3));
                FloatVector t = l.add(l.rearrange(SWAP_HALVES));
                FloatVector u = t.add(t.rearrange(SWAP_PAIRS));
                sum = u.lane(0) + u.lane(2);
            } else if (Lanes.NARROW) {
                sum = sum128(x, xo, y, yo, np);
            } else {
                java.util.Arrays.fill(acc, 0, LANES, 0f);
                for (int i = 0; i < np; i++) acc[i & 31] = Math.fma(x[xo + i], y[yo + i], acc[i & 31]);
                sum = reduce32(acc, 0);
            }
        }
        for (int i = np; i < n; i++) sum = Math.fma(x[xo + i], y[yo + i], sum);
        return sum;
    }

    /**
     * {@code out[o + j] = vecDotF32(x, xo + j * stride, y, yo, n)} for j < 4: four Q·K dots against one query (four cached
     * positions, one key row every {@code stride} floats), each query vector loaded once for the four. Every dot keeps
     * its own four accumulators and reduction, so the same bits as four {@link #vecDotF32} calls.
     */
    public static void vecDotF32x4(float[] x, int xo, int stride, float[] y, int yo, int n, float[] out, int o, float[] acc) {
        if (!Lanes.ENABLED) {
            for (int j = 0; j < 4; j++) out[o + j] = vecDotF32(x, xo + j * stride, y, yo, n, acc);
            return;
        }
        int np = n & ~31;
        int x0 = xo, x1 = xo + stride, x2 = x1 + stride, x3 = x2 + stride;
        FloatVector p0 = FloatVector.zero(Lanes.F32x8), p1 = p0, p2 = p0, p3 = p0;   // p<lane group>: position 0
        FloatVector q0 = p0, q1 = p0, q2 = p0, q3 = p0, r0 = p0, r1 = p0, r2 = p0, r3 = p0, s0 = p0, s1 = p0, s2 = p0, s3 = p0;
        for (int i = 0; i < np; i += 32) {
            FloatVector y0 = FloatVector.fromArray(Lanes.F32x8, y, yo + i), y1 = FloatVector.fromArray(Lanes.F32x8, y, yo + i + 8);
            FloatVector y2 = FloatVector.fromArray(Lanes.F32x8, y, yo + i + 16), y3 = FloatVector.fromArray(Lanes.F32x8, y, yo + i + 24);
            p0 = FloatVector.fromArray(Lanes.F32x8, x, x0 + i).fma(y0, p0);
            p1 = FloatVector.fromArray(Lanes.F32x8, x, x0 + i + 8).fma(y1, p1);
            p2 = FloatVector.fromArray(Lanes.F32x8, x, x0 + i + 16).fma(y2, p2);
            p3 = FloatVector.fromArray(Lanes.F32x8, x, x0 + i + 24).fma(y3, p3);
            q0 = FloatVector.fromArray(Lanes.F32x8, x, x1 + i).fma(y0, q0);
            q1 = FloatVector.fromArray(Lanes.F32x8, x, x1 + i + 8).fma(y1, q1);
            q2 = FloatVector.fromArray(Lanes.F32x8, x, x1 + i + 16).fma(y2, q2);
            q3 = FloatVector.fromArray(Lanes.F32x8, x, x1 + i + 24).fma(y3, q3);
            r0 = FloatVector.fromArray(Lanes.F32x8, x, x2 + i).fma(y0, r0);
            r1 = FloatVector.fromArray(Lanes.F32x8, x, x2 + i + 8).fma(y1, r1);
            r2 = FloatVector.fromArray(Lanes.F32x8, x, x2 + i + 16).fma(y2, r2);
            r3 = FloatVector.fromArray(Lanes.F32x8, x, x2 + i + 24).fma(y3, r3);
            s0 = FloatVector.fromArray(Lanes.F32x8, x, x3 + i).fma(y0, s0);
            s1 = FloatVector.fromArray(Lanes.F32x8, x, x3 + i + 8).fma(y1, s1);
            s2 = FloatVector.fromArray(Lanes.F32x8, x, x3 + i + 16).fma(y2, s2);
            s3 = FloatVector.fromArray(Lanes.F32x8, x, x3 + i + 24).fma(y3, s3);
        }
        float sum0 = 0f, sum1 = 0f, sum2 = 0f, sum3 = 0f;
        // vecDotF32's reduction written out four times: a helper taking the vectors (tried) is not inlined into this method
        // and boxes them, 3-4x slower in AttentionBench
        if (np > 0) {
            FloatVector l = p0.add(p2).add(p1.add(p3));
            FloatVector t = l.add(l.rearrange(SWAP_HALVES));
            FloatVector u = t.add(t.rearrange(SWAP_PAIRS));
            sum0 = u.lane(0) + u.lane(2);
            l = q0.add(q2).add(q1.add(q3));
            t = l.add(l.rearrange(SWAP_HALVES));
            u = t.add(t.rearrange(SWAP_PAIRS));
            sum1 = u.lane(0) + u.lane(2);
            l = r0.add(r2).add(r1.add(r3));
            t = l.add(l.rearrange(SWAP_HALVES));
            u = t.add(t.rearrange(SWAP_PAIRS));
            sum2 = u.lane(0) + u.lane(2);
            l = s0.add(s2).add(s1.add(s3));
            t = l.add(l.rearrange(SWAP_HALVES));
            u = t.add(t.rearrange(SWAP_PAIRS));
            sum3 = u.lane(0) + u.lane(2);
        }
        for (int i = np; i < n; i++) {
            float yi = y[yo + i];
            sum0 = Math.fma(x[x0 + i], yi, sum0);
            sum1 = Math.fma(x[x1 + i], yi, sum1);
            sum2 = Math.fma(x[x2 + i], yi, sum2);
            sum3 = Math.fma(x[x3 + i], yi, sum3);
        }
        out[o] = sum0;
        out[o + 1] = sum1;
        out[o + 2] = sum2;
        out[o + 3] = sum3;
    }

    /**
     * {@link #vecDotF32} over {@code np} (a multiple of 32) elements in 128-bit vectors: eight 4-lane halves of ggml's four
     * 8-lane accumulators with lane-wise FMAs, then {@link #reduce32}'s additions in registers, so the same bits.
     */
    static float sum128(float[] x, int xo, float[] y, int yo, int np) {
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
        // a0..a7 hold lanes 0-3, 4-7, ..., 28-31: l_k = (lane k + lane k+16) + (lane k+8 + lane k+24) for k < 4 and k + 4,
        // t_k = l_k + l_{k+4}, then (t0 + t1) + (t2 + t3)
        FloatVector t = a0.add(a4).add(a2.add(a6)).add(a1.add(a5).add(a3.add(a7)));
        FloatVector u = t.add(t.rearrange(SWAP_PAIRS_128));
        return u.lane(0) + u.lane(2);
    }

    /** Neighbouring lanes of a 4-lane vector swapped. */
    private static final VectorShuffle<Float> SWAP_PAIRS_128 = VectorShuffle.fromValues(Lanes.F32x4, 1, 0, 3, 2);

    /** Lanes [4..7, 0..3] of an 8-lane vector: t_k = l_k + l_{k+4} in lanes 0..3. */
    private static final VectorShuffle<Float> SWAP_HALVES = VectorShuffle.fromValues(Lanes.F32x8, 4, 5, 6, 7, 0, 1, 2, 3);
    /** Neighbouring lanes swapped: u_0 = t_0 + t_1, u_2 = t_2 + t_3. */
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromValues(Lanes.F32x8, 1, 0, 3, 2, 5, 4, 7, 6);

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

    /**
     * {@code out[outOff + d] = reduceStrided(acc, d, n)} for every d < n: the P·V outputs of one head. Vectors over
     * consecutive d carry out {@link #reduce32}'s additions lane-wise (each output sees the same additions in the same
     * order), the dimensions past the last whole vector go through {@link #reduceStrided}.
     */
    public static void reduceLaneMajor(float[] acc, int n, float[] out, int outOff, float[] tmp) {
        int d = 0;
        if (Lanes.ENABLED || Lanes.NARROW) {
            int step = PV.length();
            for (; d + step <= n; d += step) {
                // l_k = (lane k + lane k+16) + (lane k+8 + lane k+24), k < 8, each a vector over d..d+step
                FloatVector l0 = FloatVector.fromArray(PV, acc, d).add(FloatVector.fromArray(PV, acc, 16 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 8 * n + d).add(FloatVector.fromArray(PV, acc, 24 * n + d)));
                FloatVector l1 = FloatVector.fromArray(PV, acc, n + d).add(FloatVector.fromArray(PV, acc, 17 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 9 * n + d).add(FloatVector.fromArray(PV, acc, 25 * n + d)));
                FloatVector l2 = FloatVector.fromArray(PV, acc, 2 * n + d).add(FloatVector.fromArray(PV, acc, 18 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 10 * n + d).add(FloatVector.fromArray(PV, acc, 26 * n + d)));
                FloatVector l3 = FloatVector.fromArray(PV, acc, 3 * n + d).add(FloatVector.fromArray(PV, acc, 19 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 11 * n + d).add(FloatVector.fromArray(PV, acc, 27 * n + d)));
                FloatVector l4 = FloatVector.fromArray(PV, acc, 4 * n + d).add(FloatVector.fromArray(PV, acc, 20 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 12 * n + d).add(FloatVector.fromArray(PV, acc, 28 * n + d)));
                FloatVector l5 = FloatVector.fromArray(PV, acc, 5 * n + d).add(FloatVector.fromArray(PV, acc, 21 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 13 * n + d).add(FloatVector.fromArray(PV, acc, 29 * n + d)));
                FloatVector l6 = FloatVector.fromArray(PV, acc, 6 * n + d).add(FloatVector.fromArray(PV, acc, 22 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 14 * n + d).add(FloatVector.fromArray(PV, acc, 30 * n + d)));
                FloatVector l7 = FloatVector.fromArray(PV, acc, 7 * n + d).add(FloatVector.fromArray(PV, acc, 23 * n + d))
                        .add(FloatVector.fromArray(PV, acc, 15 * n + d).add(FloatVector.fromArray(PV, acc, 31 * n + d)));
                // Lanes.reduce8: t_k = l_k + l_{k+4}, then (t0 + t1) + (t2 + t3)
                FloatVector t0 = l0.add(l4), t1 = l1.add(l5), t2 = l2.add(l6), t3 = l3.add(l7);
                t0.add(t1).add(t2.add(t3)).intoArray(out, outOff + d);
            }
        }
        for (; d < n; d++) out[outOff + d] = reduceStrided(acc, d, n, tmp);
    }

    /** {@link #reduce32} of the 32 lanes {@code acc[l * n + d]}, l < 32 (the layout of {@link #accumulatePv}). */
    public static float reduceStrided(float[] acc, int d, int n, float[] tmp) {
        for (int l = 0; l < LANES; l++) tmp[l] = acc[l * n + d];
        return reduce32(tmp, 0);
    }
}
