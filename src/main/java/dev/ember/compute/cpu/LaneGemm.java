package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Matrix × matrix product for {@link LaneBlockWeights} types (Q4_0, Q8_0) with N > 1 Q8_0 activation rows, bit-identical to
 * N single-row {@link WeightMatrix#dot} calls.
 *
 * <p>Both operands are expanded to lane-ordered, integer-valued floats: the activations once per call ({@link #expandQ8_0}),
 * each weight row once per token tile. Then for every (weight row, token) pair and block b the lane sums are four exact
 * float FMAs over {@code [8]} vectors, and {@code acc = fma(sums, d_w * d_x, acc)} as in ggml. Four tokens share each loaded
 * weight vector; a token tile bounds the expanded activations streamed per weight row pair.
 */
final class LaneGemm {
    private LaneGemm() {}

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * Expands Q8_0 row data ({@code blocks} blocks of {fp16 d, int8 q[32]} at {@code off}) into lane order:
     * {@code dst[dOff + 32b + 8m + k] = q[4k + m]} of block b, {@code scale[sOff + b] = d}.
     */
    static void expandQ8_0(MemorySegment src, long off, int blocks, float[] dst, int dOff, float[] scale, int sOff) {
        long end = src.byteSize();
        for (int b = 0; b < blocks; b++, off += 34) {
            scale[sOff + b] = Float.float16ToFloat(src.get(Bytes.I16, off));
            int o = dOff + 32 * b;
            if (Lanes.ENABLED && off + 34 <= end) {
                IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, src, off + 2, Lanes.LE);   // int k = bytes 4k..4k+3
                ((FloatVector) q.lanewise(LSHL, 24)
                        .lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o);
                ((FloatVector) q.lanewise(LSHL, 16)
                        .lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o + 8);
                ((FloatVector) q.lanewise(LSHL, 8)
                        .lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o + 16);
                ((FloatVector) q.lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o + 24);
            } else {
                for (int k = 0; k < 8; k++) {
                    for (int m = 0; m < 4; m++) dst[o + 8 * m + k] = Bytes.i8(src, off + 2 + 4 * k + m);
                }
            }
        }
    }

    /**
     * {@code out[outOff + t * rows + r] = dot(r, x_t)} for r in {@code [rowFrom, rowTo)}, t < n, where {@code x} and
     * {@code xd} are the n activation rows expanded by {@link #expandQ8_0} ({@code [n, blocks, 32]} and {@code [n, blocks]}).
     */
    static void rows(LaneBlockWeights w, int rowFrom, int rowTo, int rows, int blocks, float[] x, float[] xd, int n,
                     float[] out, int outOff) {
        int rowFloats = 32 * blocks;
        float[][] s = SCRATCH.get();
        if (s[0].length < 2 * rowFloats) {
            s[0] = new float[2 * rowFloats];
            s[1] = new float[2 * blocks];
        }
        float[] wf = s[0], wd = s[1];
        LaneTiles.run(new LaneTiles.Kernel() {
            @Override
            public void unpack(int row, int slot) {
                w.unpackLanes(row, wf, slot * rowFloats, wd, slot * blocks);
            }

            @Override
            public void pair4(int t, float[] o, int at, int stride) {
                LaneGemm.pair4(wf, wd, rowFloats, blocks, x, xd, t, o, at, stride);
            }

            @Override
            public float single(int slot, int t) {
                return LaneGemm.single(wf, wd, slot * rowFloats, slot * blocks, blocks, x, xd, t);
            }
        }, rowFrom, rowTo, rows, n, 4L * rowFloats, out, outOff);
    }

    /**
     * Two weight rows (at {@code wf[0..]} and {@code wf[rowFloats..]}) × tokens t..t+3: eight accumulators, each loaded
     * weight vector used four times and each activation vector twice. Outputs at {@code out[o + j * rows + i]} for row i,
     * token j.
     */
    private static void pair4(float[] wf, float[] wd, int rowFloats, int blocks, float[] x, float[] xd, int t,
                              float[] out, int o, int rows) {
        int x0 = t * rowFloats, x1 = x0 + rowFloats, x2 = x1 + rowFloats, x3 = x2 + rowFloats;
        int d0 = t * blocks, d1 = d0 + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        FloatVector a00 = FloatVector.zero(Lanes.F32x8), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int b = 0, k = 0; b < blocks; b++, k += 32) {
            FloatVector u0 = FloatVector.fromArray(Lanes.F32x8, wf, k);
            FloatVector u1 = FloatVector.fromArray(Lanes.F32x8, wf, k + 8);
            FloatVector u2 = FloatVector.fromArray(Lanes.F32x8, wf, k + 16);
            FloatVector u3 = FloatVector.fromArray(Lanes.F32x8, wf, k + 24);
            FloatVector v0 = FloatVector.fromArray(Lanes.F32x8, wf, rowFloats + k);
            FloatVector v1 = FloatVector.fromArray(Lanes.F32x8, wf, rowFloats + k + 8);
            FloatVector v2 = FloatVector.fromArray(Lanes.F32x8, wf, rowFloats + k + 16);
            FloatVector v3 = FloatVector.fromArray(Lanes.F32x8, wf, rowFloats + k + 24);
            float du = wd[b], dv = wd[blocks + b], dy;
            FloatVector y0, y1, y2, y3;
            y0 = FloatVector.fromArray(Lanes.F32x8, x, x0 + k);
            y1 = FloatVector.fromArray(Lanes.F32x8, x, x0 + k + 8);
            y2 = FloatVector.fromArray(Lanes.F32x8, x, x0 + k + 16);
            y3 = FloatVector.fromArray(Lanes.F32x8, x, x0 + k + 24);
            dy = xd[d0 + b];
            a00 = u3.fma(y3, u2.fma(y2, u1.fma(y1, u0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, du * dy), a00);
            a10 = v3.fma(y3, v2.fma(y2, v1.fma(y1, v0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), a10);
            y0 = FloatVector.fromArray(Lanes.F32x8, x, x1 + k);
            y1 = FloatVector.fromArray(Lanes.F32x8, x, x1 + k + 8);
            y2 = FloatVector.fromArray(Lanes.F32x8, x, x1 + k + 16);
            y3 = FloatVector.fromArray(Lanes.F32x8, x, x1 + k + 24);
            dy = xd[d1 + b];
            a01 = u3.fma(y3, u2.fma(y2, u1.fma(y1, u0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, du * dy), a01);
            a11 = v3.fma(y3, v2.fma(y2, v1.fma(y1, v0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), a11);
            y0 = FloatVector.fromArray(Lanes.F32x8, x, x2 + k);
            y1 = FloatVector.fromArray(Lanes.F32x8, x, x2 + k + 8);
            y2 = FloatVector.fromArray(Lanes.F32x8, x, x2 + k + 16);
            y3 = FloatVector.fromArray(Lanes.F32x8, x, x2 + k + 24);
            dy = xd[d2 + b];
            a02 = u3.fma(y3, u2.fma(y2, u1.fma(y1, u0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, du * dy), a02);
            a12 = v3.fma(y3, v2.fma(y2, v1.fma(y1, v0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), a12);
            y0 = FloatVector.fromArray(Lanes.F32x8, x, x3 + k);
            y1 = FloatVector.fromArray(Lanes.F32x8, x, x3 + k + 8);
            y2 = FloatVector.fromArray(Lanes.F32x8, x, x3 + k + 16);
            y3 = FloatVector.fromArray(Lanes.F32x8, x, x3 + k + 24);
            dy = xd[d3 + b];
            a03 = u3.fma(y3, u2.fma(y2, u1.fma(y1, u0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, du * dy), a03);
            a13 = v3.fma(y3, v2.fma(y2, v1.fma(y1, v0.mul(y0)))).fma(FloatVector.broadcast(Lanes.F32x8, dv * dy), a13);
        }
        out[o] = Lanes.hsum8(a00.lane(0), a00.lane(1), a00.lane(2), a00.lane(3), a00.lane(4), a00.lane(5), a00.lane(6), a00.lane(7));
        out[o + rows] = Lanes.hsum8(a01.lane(0), a01.lane(1), a01.lane(2), a01.lane(3), a01.lane(4), a01.lane(5), a01.lane(6), a01.lane(7));
        out[o + 2 * rows] = Lanes.hsum8(a02.lane(0), a02.lane(1), a02.lane(2), a02.lane(3), a02.lane(4), a02.lane(5), a02.lane(6), a02.lane(7));
        out[o + 3 * rows] = Lanes.hsum8(a03.lane(0), a03.lane(1), a03.lane(2), a03.lane(3), a03.lane(4), a03.lane(5), a03.lane(6), a03.lane(7));
        out[o + 1] = Lanes.hsum8(a10.lane(0), a10.lane(1), a10.lane(2), a10.lane(3), a10.lane(4), a10.lane(5), a10.lane(6), a10.lane(7));
        out[o + rows + 1] = Lanes.hsum8(a11.lane(0), a11.lane(1), a11.lane(2), a11.lane(3), a11.lane(4), a11.lane(5), a11.lane(6), a11.lane(7));
        out[o + 2 * rows + 1] = Lanes.hsum8(a12.lane(0), a12.lane(1), a12.lane(2), a12.lane(3), a12.lane(4), a12.lane(5), a12.lane(6), a12.lane(7));
        out[o + 3 * rows + 1] = Lanes.hsum8(a13.lane(0), a13.lane(1), a13.lane(2), a13.lane(3), a13.lane(4), a13.lane(5), a13.lane(6), a13.lane(7));
    }

    /** One weight row (at {@code wf[wo..]}, scales at {@code wd[so..]}) × token t. */
    private static float single(float[] wf, float[] wd, int wo, int so, int blocks, float[] x, float[] xd, int t) {
        int x0 = t * 32 * blocks, d0 = t * blocks;
        FloatVector a = FloatVector.zero(Lanes.F32x8);
        for (int b = 0, k = 0; b < blocks; b++, k += 32) {
            FloatVector p = FloatVector.fromArray(Lanes.F32x8, wf, wo + k).mul(FloatVector.fromArray(Lanes.F32x8, x, x0 + k));
            p = FloatVector.fromArray(Lanes.F32x8, wf, wo + k + 8).fma(FloatVector.fromArray(Lanes.F32x8, x, x0 + k + 8), p);
            p = FloatVector.fromArray(Lanes.F32x8, wf, wo + k + 16).fma(FloatVector.fromArray(Lanes.F32x8, x, x0 + k + 16), p);
            p = FloatVector.fromArray(Lanes.F32x8, wf, wo + k + 24).fma(FloatVector.fromArray(Lanes.F32x8, x, x0 + k + 24), p);
            a = p.fma(FloatVector.broadcast(Lanes.F32x8, wd[so + b] * xd[d0 + b]), a);
        }
        return Lanes.hsum8(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7));
    }

}
