package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Matrix × matrix product of a {@link Q6_KMatrix} with N > 1 Q8_K activation rows, bit-identical to N single-row
 * {@link Q6_KMatrix#dot} calls, on lane-ordered integer-valued floats ({@link Q8_KLanes}, {@link Q6_KMatrix#unpackLanes}).
 *
 * <p>Why float arithmetic reproduces the integer kernel: {@code dot}'s int lane k of a superblock is
 * V = Σ_g sc(g,k) · Σ_m e·y − 32 · (bsums[2k]·sc[2k] + bsums[2k+1]·sc[2k+1]) with the unsigned 6-bit e (0..63), group g,
 * sc(g,k) = sc[2g + (k ≥ 4)], and is then converted to float (rounded when |V| > 2^24). Computed as is in float the first
 * sum could reach 32 · 128 · 63 · 128 > 2^24 and round. Split instead with e = (e − 32) + 32:
 * V = S + 32 · D, S = Σ_g Σ_m sc(g,k)·(e − 32)·y and D = Σ_g sc(g,k)·Y(g,k) − bsums[2k]·sc[2k] − bsums[2k+1]·sc[2k+1], where
 * Y(g,k) = Σ_m y[32g + 4k + m]. S is a chain of 32 FMAs whose products are integers ≤ 128·32·128 = 2^19, so every partial
 * sum is an integer ≤ 32 · 2^19 = 2^24, exactly representable: S is exact. D is a chain of 10 FMAs of integers ≤ 2^20, exact.
 * Then fma(D, 32, S) rounds the exact V once, to nearest, as the int-to-float conversion does: float(V) bit for bit. The
 * remaining steps follow {@code dot}: {@code acc = fma(float(V), y.d * d, acc)} per superblock, hsum_float_8 at the end.
 *
 * <p>Shapes: activations {@code x [n, blocks, 336]} (256 quants, 8 vectors Y(g,·), −bsums even, −bsums odd),
 * {@code xd [n, blocks]}; one weight row {@code wf [blocks, 336]} (256 scaled quants, 8 vectors sc(g,·), sc even, sc odd),
 * {@code wd [blocks]}. Kernel: 2 weight rows × 4 tokens.
 */
final class Q6_KLaneGemm {
    private Q6_KLaneGemm() {}

    private static final FloatVector THIRTY_TWO = FloatVector.broadcast(Lanes.F32x8, 32f);

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[64], new float[64]});

    /** {@code out[outOff + t * rows + r] = dot(r, x_t)} for r in {@code [rowFrom, rowTo)}, t < n. */
    static void rows(Q6_KMatrix w, int rowFrom, int rowTo, int rows, int blocks, float[] x, float[] xd, int n,
                     float[] out, int outOff) {
        int rowFloats = Q8_KLanes.Q6_K_FLOATS * blocks;
        float[][] s = SCRATCH.get();
        if (s[0].length < 2 * rowFloats) {
            s[0] = new float[2 * rowFloats];
            s[1] = new float[2 * blocks];
        }
        float[] wf = s[0], wd = s[1], acc = s[2], sv = s[3];
        LaneTiles.run(new LaneTiles.Kernel() {
            @Override
            public void unpack(int row, int slot) {
                w.unpackLanes(row, wf, slot * rowFloats, wd, slot * blocks);
            }

            @Override
            public void pair4(int t, float[] o, int at, int stride) {
                Q6_KLaneGemm.pair4(wf, wd, rowFloats, blocks, x, xd, t, o, at, stride, acc, sv);
            }

            @Override
            public float single(int slot, int t) {
                return Q6_KLaneGemm.single(wf, wd, slot * rowFloats, slot * blocks, blocks, x, xd, t);
            }
        }, rowFrom, rowTo, rows, n, 4L * rowFloats, out, outOff);
    }

    /**
     * Two weight rows (at {@code wf[0..]}, {@code wf[rowFloats..]}, d at {@code wd[b]}, {@code wd[blocks + b]}) × tokens
     * t..t+3. Outputs at {@code out[o + j * rows + i]} for row i, token j. {@code acc [8, 8]} holds the accumulator of pair
     * q = 4i + j between superblocks and {@code sv [8, 8]} the pairs' S sums: in memory, so that no vector is live across a
     * nested loop (C2 boxes vectors that cross the phis of an inner loop: measured as gigabytes of garbage per second).
     */
    private static void pair4(float[] wf, float[] wd, int rowFloats, int blocks, float[] x, float[] xd, int t,
                              float[] out, int o, int rows, float[] acc, float[] sv) {
        int x0 = t * rowFloats, x1 = x0 + rowFloats, x2 = x1 + rowFloats, x3 = x2 + rowFloats;
        java.util.Arrays.fill(acc, 0, 64, 0f);
        for (int b = 0, k = 0; b < blocks; b++, k += Q8_KLanes.Q6_K_FLOATS) {
            // S: the exact 32-FMA lane sums of sc·(e − 32)·y
            FloatVector s00 = FloatVector.zero(Lanes.F32x8), s01 = s00, s02 = s00, s03 = s00;
            FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            for (int i = 0; i < 256; i += 8) {
                FloatVector u = FloatVector.fromArray(Lanes.F32x8, wf, k + i);
                FloatVector v = FloatVector.fromArray(Lanes.F32x8, wf, rowFloats + k + i);
                FloatVector y;
                y = FloatVector.fromArray(Lanes.F32x8, x, x0 + k + i);
                s00 = u.fma(y, s00);
                s10 = v.fma(y, s10);
                y = FloatVector.fromArray(Lanes.F32x8, x, x1 + k + i);
                s01 = u.fma(y, s01);
                s11 = v.fma(y, s11);
                y = FloatVector.fromArray(Lanes.F32x8, x, x2 + k + i);
                s02 = u.fma(y, s02);
                s12 = v.fma(y, s12);
                y = FloatVector.fromArray(Lanes.F32x8, x, x3 + k + i);
                s03 = u.fma(y, s03);
                s13 = v.fma(y, s13);
            }
            s00.intoArray(sv, 0);
            s01.intoArray(sv, 8);
            s02.intoArray(sv, 16);
            s03.intoArray(sv, 24);
            s10.intoArray(sv, 32);
            s11.intoArray(sv, 40);
            s12.intoArray(sv, 48);
            s13.intoArray(sv, 56);
            // per pair: V = fma(D, 32, S) with D the exact 10-FMA chain, then acc = fma(V, d · y.d, acc)
            for (int q = 0; q < 8; q++) {
                int wo = (q >> 2) * rowFloats + k, xo = x0 + (q & 3) * rowFloats + k;
                FloatVector e = FloatVector.zero(Lanes.F32x8);
                for (int i = 256; i < Q8_KLanes.Q6_K_FLOATS; i += 8) {
                    e = FloatVector.fromArray(Lanes.F32x8, wf, wo + i).fma(FloatVector.fromArray(Lanes.F32x8, x, xo + i), e);
                }
                float d = wd[(q >> 2) * blocks + b] * xd[(t + (q & 3)) * blocks + b];
                e.fma(THIRTY_TWO, FloatVector.fromArray(Lanes.F32x8, sv, 8 * q))
                        .fma(FloatVector.broadcast(Lanes.F32x8, d), FloatVector.fromArray(Lanes.F32x8, acc, 8 * q))
                        .intoArray(acc, 8 * q);
            }
        }
        for (int q = 0; q < 8; q++) out[o + (q & 3) * rows + (q >> 2)] = Lanes.hsum8(acc, 8 * q);
    }

    /** One weight row (at {@code wf[wo..]}, d at {@code wd[so + b]}) × token t. */
    private static float single(float[] wf, float[] wd, int wo, int so, int blocks, float[] x, float[] xd, int t) {
        int x0 = t * Q8_KLanes.Q6_K_FLOATS * blocks, d0 = t * blocks;
        FloatVector a = FloatVector.zero(Lanes.F32x8);
        for (int b = 0, k = 0; b < blocks; b++, k += Q8_KLanes.Q6_K_FLOATS) {
            FloatVector s = FloatVector.zero(Lanes.F32x8), e = s;
            for (int i = 0; i < 256; i += 8) {
                s = FloatVector.fromArray(Lanes.F32x8, wf, wo + k + i).fma(FloatVector.fromArray(Lanes.F32x8, x, x0 + k + i), s);
            }
            for (int i = 256; i < Q8_KLanes.Q6_K_FLOATS; i += 8) {
                e = FloatVector.fromArray(Lanes.F32x8, wf, wo + k + i).fma(FloatVector.fromArray(Lanes.F32x8, x, x0 + k + i), e);
            }
            s = e.fma(THIRTY_TWO, s);
            a = s.fma(FloatVector.broadcast(Lanes.F32x8, wd[so + b] * xd[d0 + b]), a);
        }
        return Lanes.hsum8(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7));
    }
}
