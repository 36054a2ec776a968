package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Matrix × matrix product of a {@link Q4_KMatrix} with N > 1 Q8_K activation rows, bit-identical to N single-row
 * {@link Q4_KMatrix#dot} calls, on lane-ordered integer-valued floats ({@link Q8_KLanes}, {@link Q4_KMatrix#unpackLanes}).
 *
 * <p>Why float arithmetic reproduces the integer kernel: per superblock, {@code dot}'s int lane k is
 * sumi[k] = Σ_p sc[p] · Σ_m q[32p + 4k + m] · y[32p + 4k + m] over the 8 sub-blocks p, an exact integer. Here the weights
 * carry sc[p] · q (integers ≤ 63 · 15 = 945) and the lane sum is a float FMA chain over the superblock's 32 vectors. Every
 * product is an integer ≤ 945 · 128 and every partial sum a sum of some of the 32 products, so |partial| ≤ 32 · 945 · 128 <
 * 2^24: all are exactly representable, the chain rounds nowhere and gives float(sumi[k]) in any order. The rounded steps
 * follow {@code dot} exactly: {@code acc = fma(sumi, y.d * d, acc)} per superblock, hsum_float_8 at the end; the mins term
 * in its own 4-lane accumulator, {@code am = fma(-y.d * dmin, m[2p]·s[2p] + m[2p+1]·s[2p+1], am)} (the two products and their
 * sum exact integers ≤ 2 · 63 · 4096, computed as float mul + fma), and the result hsum(acc) + ((am0 + am2) + (am1 + am3)).
 *
 * <p>Shapes: activations {@code x [n, blocks, 256]}, {@code xd [n, blocks]}, {@code xs [n, blocks, 8]}; one weight row
 * {@code wf [blocks, 256]}, {@code wm [blocks, 10]}. Kernel: 2 weight rows × 4 tokens, each loaded weight vector used 4
 * times, each activation vector twice.
 */
final class Q4_KLaneGemm {
    private Q4_KLaneGemm() {}

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[64]});

    /** {@code out[outOff + t * rows + r] = dot(r, x_t)} for r in {@code [rowFrom, rowTo)}, t < n. */
    static void rows(Q4_KMatrix w, int rowFrom, int rowTo, int rows, int blocks, float[] x, float[] xd, float[] xs, int n,
                     float[] out, int outOff) {
        int rowFloats = 256 * blocks, metaFloats = Q4_KMatrix.LANE_META * blocks;
        float[][] s = SCRATCH.get();
        if (s[0].length < 2 * rowFloats) {
            s[0] = new float[2 * rowFloats];
            s[1] = new float[2 * metaFloats];
        }
        float[] wf = s[0], wm = s[1], acc = s[2];
        LaneTiles.run(new LaneTiles.Kernel() {
            @Override
            public void unpack(int row, int slot) {
                w.unpackLanes(row, wf, slot * rowFloats, wm, slot * metaFloats);
            }

            @Override
            public void pair4(int t, float[] o, int at, int stride) {
                Q4_KLaneGemm.pair4(wf, wm, rowFloats, metaFloats, blocks, x, xd, xs, t, o, at, stride, acc);
            }

            @Override
            public float single(int slot, int t) {
                return Q4_KLaneGemm.single(wf, wm, slot * rowFloats, slot * metaFloats, blocks, x, xd, xs, t);
            }
        }, rowFrom, rowTo, rows, n, 4L * rowFloats, out, outOff);
    }

    /**
     * Two weight rows (at {@code wf[0..]}, {@code wf[rowFloats..]}; metadata at {@code wm[0..]}, {@code wm[metaFloats..]})
     * × tokens t..t+3. Outputs at {@code out[o + j * rows + i]} for row i, token j.
     */
    private static void pair4(float[] wf, float[] wm, int rowFloats, int metaFloats, int blocks, float[] x, float[] xd,
                              float[] xs, int t, float[] out, int o, int rows, float[] acc) {
        int x0 = t * rowFloats, x1 = x0 + rowFloats, x2 = x1 + rowFloats, x3 = x2 + rowFloats;
        int d0 = t * blocks, d1 = d0 + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        // acc[8 (4i + j) ..] = the accumulator of row i, token j: kept in memory between superblocks so
        // that no vector is live across the inner loop (C2 boxes vectors that cross a nested loop's phis)
        java.util.Arrays.fill(acc, 0, 64, 0f);
        for (int b = 0, k = 0; b < blocks; b++, k += 256) {
            FloatVector s00 = FloatVector.zero(Lanes.F32x8), s01 = s00, s02 = s00, s03 = s00;
            FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            for (int i = k; i < k + 256; i += 8) {
                FloatVector u = FloatVector.fromArray(Lanes.F32x8, wf, i);
                FloatVector v = FloatVector.fromArray(Lanes.F32x8, wf, rowFloats + i);
                FloatVector y;
                y = FloatVector.fromArray(Lanes.F32x8, x, x0 + i);
                s00 = u.fma(y, s00);
                s10 = v.fma(y, s10);
                y = FloatVector.fromArray(Lanes.F32x8, x, x1 + i);
                s01 = u.fma(y, s01);
                s11 = v.fma(y, s11);
                y = FloatVector.fromArray(Lanes.F32x8, x, x2 + i);
                s02 = u.fma(y, s02);
                s12 = v.fma(y, s12);
                y = FloatVector.fromArray(Lanes.F32x8, x, x3 + i);
                s03 = u.fma(y, s03);
                s13 = v.fma(y, s13);
            }
            float du = wm[Q4_KMatrix.LANE_META * b], dv = wm[metaFloats + Q4_KMatrix.LANE_META * b], dy;
            dy = xd[d0 + b];
            s00.fma(FloatVector.broadcast(Lanes.F32x8, du * dy), FloatVector.fromArray(Lanes.F32x8, acc, 0)).intoArray(acc, 0);
            s10.fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), FloatVector.fromArray(Lanes.F32x8, acc, 32)).intoArray(acc, 32);
            dy = xd[d1 + b];
            s01.fma(FloatVector.broadcast(Lanes.F32x8, du * dy), FloatVector.fromArray(Lanes.F32x8, acc, 8)).intoArray(acc, 8);
            s11.fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), FloatVector.fromArray(Lanes.F32x8, acc, 40)).intoArray(acc, 40);
            dy = xd[d2 + b];
            s02.fma(FloatVector.broadcast(Lanes.F32x8, du * dy), FloatVector.fromArray(Lanes.F32x8, acc, 16)).intoArray(acc, 16);
            s12.fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), FloatVector.fromArray(Lanes.F32x8, acc, 48)).intoArray(acc, 48);
            dy = xd[d3 + b];
            s03.fma(FloatVector.broadcast(Lanes.F32x8, du * dy), FloatVector.fromArray(Lanes.F32x8, acc, 24)).intoArray(acc, 24);
            s13.fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), FloatVector.fromArray(Lanes.F32x8, acc, 56)).intoArray(acc, 56);
        }
        out[o] = Lanes.hsum8(acc, 0) + mins(wm, 0, blocks, xd, xs, t);
        out[o + rows] = Lanes.hsum8(acc, 8) + mins(wm, 0, blocks, xd, xs, t + 1);
        out[o + 2 * rows] = Lanes.hsum8(acc, 16) + mins(wm, 0, blocks, xd, xs, t + 2);
        out[o + 3 * rows] = Lanes.hsum8(acc, 24) + mins(wm, 0, blocks, xd, xs, t + 3);
        out[o + 1] = Lanes.hsum8(acc, 32) + mins(wm, metaFloats, blocks, xd, xs, t);
        out[o + rows + 1] = Lanes.hsum8(acc, 40) + mins(wm, metaFloats, blocks, xd, xs, t + 1);
        out[o + 2 * rows + 1] = Lanes.hsum8(acc, 48) + mins(wm, metaFloats, blocks, xd, xs, t + 2);
        out[o + 3 * rows + 1] = Lanes.hsum8(acc, 56) + mins(wm, metaFloats, blocks, xd, xs, t + 3);
    }

    /** One weight row (at {@code wf[wo..]}, metadata at {@code wm[mo..]}) × token t. */
    private static float single(float[] wf, float[] wm, int wo, int mo, int blocks, float[] x, float[] xd, float[] xs, int t) {
        int x0 = t * 256 * blocks, d0 = t * blocks;
        FloatVector a = FloatVector.zero(Lanes.F32x8);
        for (int b = 0, k = 0; b < blocks; b++, k += 256) {
            FloatVector s = FloatVector.zero(Lanes.F32x8);
            for (int i = 0; i < 256; i += 8) {
                s = FloatVector.fromArray(Lanes.F32x8, wf, wo + k + i).fma(FloatVector.fromArray(Lanes.F32x8, x, x0 + k + i), s);
            }
            a = s.fma(FloatVector.broadcast(Lanes.F32x8, wm[mo + Q4_KMatrix.LANE_META * b] * xd[d0 + b]), a);
        }
        return Lanes.hsum8(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7)) + mins(wm, mo, blocks, xd, xs, t);
    }

    /**
     * {@code dot}'s mins term (am0 + am2) + (am1 + am3) of the weight row with metadata at {@code wm[mo..]} and token t:
     * per superblock am = fma(-y.d * dmin, m[2p]·s[2p] + m[2p+1]·s[2p+1], am) on 4 lanes p.
     */
    private static float mins(float[] wm, int mo, int blocks, float[] xd, float[] xs, int t) {
        int d0 = t * blocks, s0 = 8 * d0;
        FloatVector am = FloatVector.zero(Lanes.F32x4);
        for (int b = 0; b < blocks; b++) {
            int m = mo + Q4_KMatrix.LANE_META * b;
            FloatVector p = FloatVector.fromArray(Lanes.F32x4, wm, m + 2).mul(FloatVector.fromArray(Lanes.F32x4, xs, s0 + 8 * b));
            p = FloatVector.fromArray(Lanes.F32x4, wm, m + 6).fma(FloatVector.fromArray(Lanes.F32x4, xs, s0 + 8 * b + 4), p);
            float dmin = -xd[d0 + b] * wm[m + 1];
            am = p.fma(FloatVector.broadcast(Lanes.F32x4, dmin), am);
        }
        return (am.lane(0) + am.lane(2)) + (am.lane(1) + am.lane(3));
    }
}
