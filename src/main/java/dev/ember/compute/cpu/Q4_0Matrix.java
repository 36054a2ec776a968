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
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q4_0 weights: blocks of 32 as {fp16 d, uint8 qs[16]} (18 bytes); element j = (qs[j] & 15) - 8, element j + 16 =
 * (qs[j] >> 4) - 8, value = d * element. Activations Q8_0.
 */
public final class Q4_0Matrix extends WeightMatrix implements Repackable, LaneBlockWeights, SplitWeights {
    /** The rows repacked for {@link Q4_0x8Kernel} ({@link Repackable#pack}); none while the matrix is read in place. */
    private final PackedCopy<Q4_0x8> packed = new PackedCopy<>(Q4_0x8.TILE, Q4_0x8.RECORD, Q4_0x8::new);

    Q4_0Matrix(GgufTensor t) {
        super(t);
    }

    /** The repacked form, or null. */
    Q4_0x8 packed() {
        return packed.get();
    }

    @Override
    public PackedCopy<Q4_0x8> packedCopy() {
        return packed;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        Q4_0x8 p = packed.get();
        if (p != null) {
            p.dequantizeRow(row, out, outOffset);
            return;
        }
        for (int b = 0; b < blocks; b++, w += 18) {
            float d = Bytes.f16(data, w);
            int o = outOffset + 32 * b;
            if (Lanes.ENABLED) {   // the same exact products, eight bytes at a time
                for (int h = 0; h < 16; h += 8) {
                    ByteVector q = ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, w + 2 + h, Lanes.LE);
                    ((FloatVector) q.and((byte) 0xF).sub((byte) 8).convertShape(B2F, Lanes.F32x8, 0)).mul(d)
                            .intoArray(out, o + h);
                    ((FloatVector) q.lanewise(LSHR, 4).sub((byte) 8).convertShape(B2F, Lanes.F32x8, 0)).mul(d)
                            .intoArray(out, o + h + 16);
                }
                continue;
            }
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(data, w + 2 + j);
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    /**
     * Lane k holds elements 4k..4k+3: the low nibbles of bytes 4k..4k+3 for k < 4, the high nibbles of bytes 4(k-4)..
     * for k ≥ 4, i.e. nibble m of the dup-and-shift int lane k that {@link #dot} builds.
     */
    @Override
    public void unpackLanes(int row, float[] dst, int dstOffset, float[] scale, int scaleOffset) {
        long w = rowOffset(row);
        long end = data.byteSize();
        for (int b = 0, o = dstOffset; b < blocks; b++, w += 18, o += 32) {
            scale[scaleOffset + b] = Float.float16ToFloat(data.get(Bytes.I16, w));
            if (Lanes.ENABLED && w + 34 <= end) {
                IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 2, Lanes.LE)
                        .rearrange(Lanes.DUP_LO).lanewise(LSHR, Lanes.NIBBLE_SHIFT);
                ((FloatVector) q.and(0xF).sub(8).convert(I2F, 0)).intoArray(dst, o);
                ((FloatVector) q.lanewise(LSHR, 8).and(0xF).sub(8).convert(I2F, 0)).intoArray(dst, o + 8);
                ((FloatVector) q.lanewise(LSHR, 16).and(0xF).sub(8).convert(I2F, 0)).intoArray(dst, o + 16);
                ((FloatVector) q.lanewise(LSHR, 24).and(0xF).sub(8).convert(I2F, 0)).intoArray(dst, o + 24);
            } else {
                for (int k = 0; k < 8; k++) {
                    for (int m = 0; m < 4; m++) {
                        int byteValue = Bytes.u8(data, w + 2 + 4 * (k & 3) + m);
                        dst[o + 8 * m + k] = (k < 4 ? byteValue & 0xF : byteValue >> 4) - 8;
                    }
                }
            }
        }
    }

    /**
     * ggml_vec_dot_q4_0_q8_0, AVX2: 8 float accumulator lanes, lane k holding elements 4k..4k+3 of each block (lanes 0..3
     * the low nibbles, elements 0..15; lanes 4..7 the high nibbles, elements 16..31, as bytes_from_nibbles_32 lays them
     * out), acc = fma(float(lane sums), dx*dy, acc) per block, then hsum_float_8.
     *
     * <p>The 16 quant bytes are loaded as 4 ints, copied into both halves of an 8-lane vector (vpermd) and shifted by 0 in
     * lanes 0..3 and by 4 in lanes 4..7 (vpsrlvd), so int lane k holds the four nibbles of ggml lane k in its four bytes,
     * in the same place as the four activation bytes of that lane. Even elements (bytes 0 and 2 of the lane) and odd ones
     * (bytes 1 and 3) are then multiplied in 16-bit lanes and summed pairwise into ints, as {@link Lanes} describes.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (Lanes.NARROW) return dotSplit128(row, ActivationSplit.Q8_0.splitOne(xq, xqOffset, blocks), 0);
        if (!Lanes.ENABLED) return ReferenceDot.q4_0(data, w, xq, xqOffset, cols);
        // the 32-byte weight load at w + 2 reads 14 bytes past the block; the last block of the data loads at w - 14 instead
        boolean lastInside = w + rowBytes + 14 <= data.byteSize();
        if (!lastInside && w + rowBytes < 32) return dotNarrow(w, xq, xqOffset);
        int full = lastInside ? blocks : blocks - 1;
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < full; b++, w += 18, x += 34) {
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * Float.float16ToFloat(xq.get(Bytes.I16, x));
            IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 2, Lanes.LE)
                    .rearrange(Lanes.DUP_LO).lanewise(LSHR, Lanes.NIBBLE_SHIFT);
            ShortVector ev = q.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector od = q.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector y = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 2, Lanes.LE);
            IntVector pp = ev.mul(y.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(od.mul(y.lanewise(ASHR, 8))).reinterpretAsInts();
            IntVector s = pp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pp.lanewise(ASHR, 16));
            acc = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        if (!lastInside) {
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * Float.float16ToFloat(xq.get(Bytes.I16, x));
            IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 2 - 16, Lanes.LE)
                    .rearrange(Lanes.DUP_HI).lanewise(LSHR, Lanes.NIBBLE_SHIFT);
            ShortVector ev = q.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector od = q.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector y = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 2, Lanes.LE);
            IntVector pp = ev.mul(y.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(od.mul(y.lanewise(ASHR, 8))).reinterpretAsInts();
            IntVector s = pp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pp.lanewise(ASHR, 16));
            acc = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3),
                acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }

    /**
     * {@link #dot} with the activation row split by {@link SplitQ8} (same integer lane sums and FMA order, bit for bit):
     * the even and odd activation lanes come ready as int16, and each int lane's two 16-bit halves are added by one
     * multiply, {@code (v * 0x10001) >> 16} (exact: a lane sum of four nibble × int8 products fits in 16 bits).
     * Only for rows whose 32-byte loads stay inside the data (rows below {@link #splitRows}).
     */
    @Override
    public float dotSplit(int row, MemorySegment ys, long base) {
        long w = rowOffset(row);
        long y = base, dx = base + SplitQ8.scaleOffset(blocks, 0);
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 18, y += SplitQ8.BLOCK_BYTES, dx += 4) {
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * ys.get(Bytes.F32, dx);
            IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 2, Lanes.LE)
                    .rearrange(Lanes.DUP_LO).lanewise(LSHR, Lanes.NIBBLE_SHIFT);
            ShortVector ev = q.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector od = q.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            IntVector pp = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y, Lanes.LE))
                    .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector s = pp.mul(0x10001).lanewise(ASHR, 16);
            acc = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3),
                acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }

    /**
     * {@link #dotSplit} of one weight row against four split activation rows at once (tokens t..t+3 of {@code ys}, one
     * {@link SplitQ8} row every {@code stride} bytes): each weight block is loaded and its nibbles unpacked once for the
     * four tokens. Every token's integers and float order are those of {@code dotSplit}, so the results are the same bits.
     * Writes {@code out[o + j * outStride]} for token t + j. Rows below {@link #splitRows} only.
     */
    @Override
    public void dotSplit4(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        long w0 = rowOffset(row);
        long y0 = t * stride, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride;
        long scales = SplitQ8.scaleOffset(blocks, 0);
        FloatVector a0 = FloatVector.zero(Lanes.F32x8), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long w = w0 + 18L * b, y = (long) SplitQ8.BLOCK_BYTES * b, dx = scales + 4L * b;
            float dw = Float.float16ToFloat(data.get(Bytes.I16, w));
            IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 2, Lanes.LE)
                    .rearrange(Lanes.DUP_LO).lanewise(LSHR, Lanes.NIBBLE_SHIFT);
            ShortVector ev = q.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector od = q.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            {   // token t + 0
                IntVector pp = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pp.mul(0x10001).lanewise(ASHR, 16);
                a0 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y0 + dx)), a0);
            }
            {   // token t + 1
                IntVector pp = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pp.mul(0x10001).lanewise(ASHR, 16);
                a1 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y1 + dx)), a1);
            }
            {   // token t + 2
                IntVector pp = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pp.mul(0x10001).lanewise(ASHR, 16);
                a2 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y2 + dx)), a2);
            }
            {   // token t + 3
                IntVector pp = ev.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y, Lanes.LE))
                        .add(od.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector s = pp.mul(0x10001).lanewise(ASHR, 16);
                a3 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dw * ys.get(Bytes.F32, y3 + dx)), a3);
            }
        }
        out[o] = Lanes.hsum8(a0.lane(0), a0.lane(1), a0.lane(2), a0.lane(3), a0.lane(4), a0.lane(5), a0.lane(6), a0.lane(7));
        out[o + outStride] = Lanes.hsum8(a1.lane(0), a1.lane(1), a1.lane(2), a1.lane(3), a1.lane(4), a1.lane(5), a1.lane(6), a1.lane(7));
        out[o + 2 * outStride] = Lanes.hsum8(a2.lane(0), a2.lane(1), a2.lane(2), a2.lane(3), a2.lane(4), a2.lane(5), a2.lane(6), a2.lane(7));
        out[o + 3 * outStride] = Lanes.hsum8(a3.lane(0), a3.lane(1), a3.lane(2), a3.lane(3), a3.lane(4), a3.lane(5), a3.lane(6), a3.lane(7));
    }

    @Override
    public ActivationSplit activationSplit() {
        return ActivationSplit.Q8_0;
    }

    /**
     * KernelBench, one thread, 2048 × 2048, ms per call split / lane GEMM: Q4_0 N=2 0.62/1.47, N=4 0.93/1.53, N=8
     * 1.89/2.28, N=12 2.67/2.74, N=16 3.38/3.28 (N=128 22.8 for the lane GEMM, 30.9 split); Q8_0 N=2 0.56/1.38, N=4
     * 0.99/1.36, N=16 3.52/3.62.
     */
    @Override
    public int splitMaxN() {
        return 16;
    }

    /**
     * Rows {@code [0, splitRows())} may use {@link #dotSplit}: their last 32-byte weight load (14 bytes past the block) stays
     * inside the data. In a tensor sliced exactly from a GGUF file that is every row but the last.
     */
    @Override
    public int splitRows() {
        return (int) Math.min(rows, Math.max(0, (data.byteSize() - 14) / rowBytes));
    }

    /**
     * {@link #dotSplit} in 128-bit vectors ({@link SplitWeights#dotSplit128}): the 16 quant bytes as four ints, their low
     * nibbles giving lanes 0..3 and, shifted down by 4, their high nibbles lanes 4..7. The loads stay inside each block,
     * so every row may use it.
     */
    @Override
    public float dotSplit128(int row, MemorySegment ys, long base) {
        long w = rowOffset(row);
        long y = base, dx = base + SplitQ8.scaleOffset(blocks, 0);
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        for (int b = 0; b < blocks; b++, w += 18, y += SplitQ8.BLOCK_BYTES, dx += 4) {
            FloatVector d = FloatVector.broadcast(Lanes.F32x4, Float.float16ToFloat(data.get(Bytes.I16, w)) * ys.get(Bytes.F32, dx));
            IntVector q0 = IntVector.fromMemorySegment(Lanes.I32x4, data, w + 2, Lanes.LE);   // int k = bytes 4k..4k+3
            IntVector q1 = q0.lanewise(LSHR, 4);                                               // their high nibbles, moved down
            ShortVector e0 = q0.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector o0 = q0.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector e1 = q1.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector o1 = q1.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                    .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                    .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
            lo = ((FloatVector) p0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, lo);
            hi = ((FloatVector) p1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, hi);
        }
        return Lanes.hsum8(lo.lane(0), lo.lane(1), lo.lane(2), lo.lane(3), hi.lane(0), hi.lane(1), hi.lane(2), hi.lane(3));
    }

    /** The 128-bit form of {@link #dot} (same lanes and order) for a row whose data is too short for the 32-byte loads. */
    private float dotNarrow(long w, MemorySegment xq, long xqOffset) {
        long x = xqOffset;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;   // ggml accumulator lanes 0..3 and 4..7
        for (int b = 0; b < blocks; b++, w += 18, x += 34) {
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * Float.float16ToFloat(xq.get(Bytes.I16, x));
            ShortVector qs = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 2, Lanes.LE);   // 32 nibbles
            ShortVector eLo = qs.and((short) 0xF), oLo = qs.lanewise(LSHR, 8).and((short) 0xF);
            ShortVector eHi = qs.lanewise(LSHR, 4).and((short) 0xF), oHi = qs.lanewise(LSHR, 12);
            eLo = eLo.sub((short) 8);
            oLo = oLo.sub((short) 8);
            eHi = eHi.sub((short) 8);
            oHi = oHi.sub((short) 8);
            ShortVector y0 = ShortVector.fromMemorySegment(Lanes.S16x8, xq, x + 2, Lanes.LE);        // elements 0..15
            ShortVector y1 = ShortVector.fromMemorySegment(Lanes.S16x8, xq, x + 18, Lanes.LE);        // elements 16..31
            IntVector p0 = eLo.mul(y0.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(oLo.mul(y0.lanewise(ASHR, 8))).reinterpretAsInts();
            IntVector p1 = eHi.mul(y1.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(oHi.mul(y1.lanewise(ASHR, 8))).reinterpretAsInts();
            IntVector s0 = p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16));
            IntVector s1 = p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16));
            FloatVector dv = FloatVector.broadcast(Lanes.F32x4, d);
            lo = ((FloatVector) s0.convert(I2F, 0)).fma(dv, lo);
            hi = ((FloatVector) s1.convert(I2F, 0)).fma(dv, hi);
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
        for (int b = 0; b < blocks; b++, w += 18) {
            long yb = (long) SplitQ8.BLOCK_BYTES * b, dx = scales + 4L * b;
            float dw = Float.float16ToFloat(data.get(Bytes.I16, w));
            IntVector q0 = IntVector.fromMemorySegment(Lanes.I32x4, data, w + 2, Lanes.LE);
            IntVector q1 = q0.lanewise(LSHR, 4);
            ShortVector e0 = q0.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector o0 = q0.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector e1 = q1.and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            ShortVector o1 = q1.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().sub((short) 8);
            {   // token t + 0
                long y = y0 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y0 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo0 = ((FloatVector) p0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, lo0);
                hi0 = ((FloatVector) p1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, hi0);
            }
            {   // token t + 1
                long y = y1 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y1 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo1 = ((FloatVector) p0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, lo1);
                hi1 = ((FloatVector) p1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, hi1);
            }
            {   // token t + 2
                long y = y2 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y2 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo2 = ((FloatVector) p0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, lo2);
                hi2 = ((FloatVector) p1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, hi2);
            }
            {   // token t + 3
                long y = y3 + yb;
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, dw * ys.get(Bytes.F32, y3 + dx));
                IntVector p0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                        .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
                IntVector p1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                        .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
                lo3 = ((FloatVector) p0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, lo3);
                hi3 = ((FloatVector) p1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0)).fma(d, hi3);
            }
        }
        out[o] = Lanes.hsum8(lo0.lane(0), lo0.lane(1), lo0.lane(2), lo0.lane(3), hi0.lane(0), hi0.lane(1), hi0.lane(2), hi0.lane(3));
        out[o + 1 * outStride] = Lanes.hsum8(lo1.lane(0), lo1.lane(1), lo1.lane(2), lo1.lane(3), hi1.lane(0), hi1.lane(1), hi1.lane(2), hi1.lane(3));
        out[o + 2 * outStride] = Lanes.hsum8(lo2.lane(0), lo2.lane(1), lo2.lane(2), lo2.lane(3), hi2.lane(0), hi2.lane(1), hi2.lane(2), hi2.lane(3));
        out[o + 3 * outStride] = Lanes.hsum8(lo3.lane(0), lo3.lane(1), lo3.lane(2), lo3.lane(3), hi3.lane(0), hi3.lane(1), hi3.lane(2), hi3.lane(3));
    }
}
