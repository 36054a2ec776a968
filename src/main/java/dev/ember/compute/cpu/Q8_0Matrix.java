package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/** Q8_0 weights: blocks of 32 as {fp16 d, int8 qs[32]} (34 bytes), value = d * q; activations Q8_0. */
public final class Q8_0Matrix extends WeightMatrix implements LaneBlockWeights, SplitWeights {
    Q8_0Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 34) {
            float d = Bytes.f16(data, w);
            if (Lanes.ENABLED) {   // the same exact products, eight bytes at a time
                for (int j = 0; j < 32; j += 8) {
                    ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, w + 2 + j, Lanes.LE)
                            .convertShape(B2F, Lanes.F32x8, 0)).mul(d).intoArray(out, outOffset + 32 * b + j);
                }
                continue;
            }
            for (int j = 0; j < 32; j++) out[outOffset + 32 * b + j] = Bytes.i8(data, w + 2 + j) * d;
        }
    }

    @Override
    public void unpackLanes(int row, float[] dst, int dstOffset, float[] scale, int scaleOffset) {
        LaneGemm.expandQ8_0(data, rowOffset(row), blocks, dst, dstOffset, scale, scaleOffset);
    }

    /**
     * ggml_vec_dot_q8_0_q8_0, AVX2: acc = fma(dx*dy, float(lane sums), acc) per block, then hsum_float_8. Computed by
     * {@link #dotSplit} on the row split by {@link SplitQ8}.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        if (Lanes.NARROW) return dotSplit128(row, ActivationSplit.Q8_0.splitOne(xq, xqOffset, blocks), 0);
        if (!Lanes.ENABLED) return ReferenceDot.q8_0(data, rowOffset(row), xq, xqOffset, cols);
        return dotSplit(row, ActivationSplit.Q8_0.splitOne(xq, xqOffset, blocks), 0);
    }

    @Override
    public ActivationSplit activationSplit() {
        return ActivationSplit.Q8_0;
    }

    /** As Q4_0 (KernelBench figures of both types: {@link Q4_0Matrix#splitMaxN}). */
    @Override
    public int splitMaxN() {
        return 16;
    }

    /** Every row: the 32-byte weight loads stay inside each 34-byte block. */
    @Override
    public int splitRows() {
        return rows;
    }

    @Override
    public void dotSplit4(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        long w0 = rowOffset(row);
        long y0 = t * stride, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride;
        long scales = SplitQ8.scaleOffset(blocks, 0);
        FloatVector a0 = FloatVector.zero(Lanes.F32x8), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long w = w0 + 34L * b, y = (long) SplitQ8.BLOCK_BYTES * b, dx = scales + 4L * b;
            float dw = Float.float16ToFloat(data.get(Bytes.I16, w));
            ShortVector qw = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 2, Lanes.LE);   // 32 int8 weights
            ShortVector ev = qw.lanewise(LSHL, 8).lanewise(ASHR, 8), od = qw.lanewise(ASHR, 8);
            {   // token t + 0
                IntVector pi = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pi.lanewise(ASHR, 16));
                a0 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y0 + dx)), a0);
            }
            {   // token t + 1
                IntVector pi = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pi.lanewise(ASHR, 16));
                a1 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y1 + dx)), a1);
            }
            {   // token t + 2
                IntVector pi = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pi.lanewise(ASHR, 16));
                a2 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y2 + dx)), a2);
            }
            {   // token t + 3
                IntVector pi = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pi.lanewise(ASHR, 16));
                a3 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y3 + dx)), a3);
            }
        }
        out[o] = Lanes.hsum8(a0.lane(0), a0.lane(1), a0.lane(2), a0.lane(3), a0.lane(4), a0.lane(5), a0.lane(6), a0.lane(7));
        out[o + outStride] = Lanes.hsum8(a1.lane(0), a1.lane(1), a1.lane(2), a1.lane(3), a1.lane(4), a1.lane(5), a1.lane(6), a1.lane(7));
        out[o + 2 * outStride] = Lanes.hsum8(a2.lane(0), a2.lane(1), a2.lane(2), a2.lane(3), a2.lane(4), a2.lane(5), a2.lane(6), a2.lane(7));
        out[o + 3 * outStride] = Lanes.hsum8(a3.lane(0), a3.lane(1), a3.lane(2), a3.lane(3), a3.lane(4), a3.lane(5), a3.lane(6), a3.lane(7));
    }

    /**
     * {@link #dot} on the row split by {@link SplitQ8} at {@code ys[base ..]}: per block the weights' even and odd int8 elements sign-extended in
     * 16-bit lanes, multiplied with the split activation lanes, pairs of shorts added into ggml's int lane sums.
     */
    @Override
    public float dotSplit(int row, MemorySegment ys, long base) {
        long w = rowOffset(row);
        long y = base, dx = base + SplitQ8.scaleOffset(blocks, 0);
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 34, y += SplitQ8.BLOCK_BYTES, dx += 4) {
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * ys.get(Bytes.F32, dx);
            ShortVector qw = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 2, Lanes.LE);   // 32 int8 weights
            ShortVector p = qw.lanewise(LSHL, 8).lanewise(ASHR, 8).mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y, Lanes.LE))
                    .add(qw.lanewise(ASHR, 8).mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 32, Lanes.LE)));
            IntVector pi = p.reinterpretAsInts();
            IntVector s = pi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pi.lanewise(ASHR, 16));
            acc = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3),
                acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }

    /** {@link #dotSplit} in 128-bit vectors ({@link SplitWeights#dotSplit128}): elements 0..15 give lanes 0..3, 16..31 lanes 4..7. */
    @Override
    public float dotSplit128(int row, MemorySegment ys, long base) {
        long w = rowOffset(row);
        long y = base, dx = base + SplitQ8.scaleOffset(blocks, 0);
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        for (int b = 0; b < blocks; b++, w += 34, y += SplitQ8.BLOCK_BYTES, dx += 4) {
            FloatVector d = FloatVector.broadcast(Lanes.F32x4, Float.float16ToFloat(data.get(Bytes.I16, w)) * ys.get(Bytes.F32, dx));
            ShortVector q0 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 2, Lanes.LE);    // int8 weights 0..15
            ShortVector q1 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 18, Lanes.LE);   // 16..31
            IntVector p0 = q0.lanewise(LSHL, 8).lanewise(ASHR, 8).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                    .add(q0.lanewise(ASHR, 8).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector p1 = q1.lanewise(LSHL, 8).lanewise(ASHR, 8).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                    .add(q1.lanewise(ASHR, 8).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
            lo = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, lo);
            hi = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, hi);
        }
        return Lanes.hsum8(lo.lane(0), lo.lane(1), lo.lane(2), lo.lane(3), hi.lane(0), hi.lane(1), hi.lane(2), hi.lane(3));
    }

    /**
     * {@link #dotSplit128} of one weight row against four split activation rows at once (tokens t..t+3, one {@link SplitQ8}
     * row every {@code stride} bytes), each block unpacked once for the four; the same bits as four {@code dotSplit128}
     * calls. Writes {@code out[o + j * outStride]} for token t + j.
     */
    @Override
    public void dotSplit4x128(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        long w = rowOffset(row);
        long y0 = t * stride, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride;
        long scales = SplitQ8.scaleOffset(blocks, 0);
        FloatVector lo0 = FloatVector.zero(Lanes.F32x4), lo1 = lo0, lo2 = lo0, lo3 = lo0, hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
        for (int b = 0; b < blocks; b++, w += 34) {
            long yb = (long) SplitQ8.BLOCK_BYTES * b, dx = scales + 4L * b;
            float dw = Float.float16ToFloat(data.get(Bytes.I16, w));
            ShortVector q0 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 2, Lanes.LE);
            ShortVector q1 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 18, Lanes.LE);
            ShortVector e0 = q0.lanewise(LSHL, 8).lanewise(ASHR, 8), o0 = q0.lanewise(ASHR, 8);
            ShortVector e1 = q1.lanewise(LSHL, 8).lanewise(ASHR, 8), o1 = q1.lanewise(ASHR, 8);
            {   // token t + 0
                long y = y0 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y0 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo0 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, lo0);
                hi0 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, hi0);
            }
            {   // token t + 1
                long y = y1 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y1 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo1 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, lo1);
                hi1 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, hi1);
            }
            {   // token t + 2
                long y = y2 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y2 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo2 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, lo2);
                hi2 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, hi2);
            }
            {   // token t + 3
                long y = y3 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y3 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo3 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, lo3);
                hi3 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, hi3);
            }
        }
        out[o] = Lanes.hsum8(lo0.lane(0), lo0.lane(1), lo0.lane(2), lo0.lane(3), hi0.lane(0), hi0.lane(1), hi0.lane(2), hi0.lane(3));
        out[o + 1 * outStride] = Lanes.hsum8(lo1.lane(0), lo1.lane(1), lo1.lane(2), lo1.lane(3), hi1.lane(0), hi1.lane(1), hi1.lane(2), hi1.lane(3));
        out[o + 2 * outStride] = Lanes.hsum8(lo2.lane(0), lo2.lane(1), lo2.lane(2), lo2.lane(3), hi2.lane(0), hi2.lane(1), hi2.lane(2), hi2.lane(3));
        out[o + 3 * outStride] = Lanes.hsum8(lo3.lane(0), lo3.lane(1), lo3.lane(2), lo3.lane(3), hi3.lane(0), hi3.lane(1), hi3.lane(2), hi3.lane(3));
    }
}
