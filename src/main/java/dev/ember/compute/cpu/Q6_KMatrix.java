package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights: superblocks of 256 as {uint8 ql[128], uint8 qh[64], int8 scales[16], fp16 d} (210 bytes). Element
 * 128h + 32c + l (c = 0..3): low 4 bits from ql[64h + 32(c&1) + l] (low nibble for c < 2, high for c >= 2), high 2 bits
 * (qh[32h + l] >> 2c) & 3; value = (d * scale[element/16]) * (q - 32). Activations Q8_K.
 */
public final class Q6_KMatrix extends WeightMatrix {
    Q6_KMatrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 210) {
            float d = Bytes.f16(data, w + 208);
            for (int h = 0; h < 2; h++) {
                long ql = w + 64 * h, qh = w + 128 + 32 * h, sc = w + 192 + 8 * h;
                int o = outOffset + 256 * b + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = Bytes.u8(data, ql + l), c = Bytes.u8(data, ql + l + 32), hb = Bytes.u8(data, qh + l);
                    int q1 = ((a & 0xF) | ((hb & 3) << 4)) - 32;
                    int q2 = ((c & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
                    int q3 = ((a >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                    int q4 = ((c >> 4) | (((hb >> 6) & 3) << 4)) - 32;
                    out[o + l] = d * Bytes.i8(data, sc + is) * q1;
                    out[o + l + 32] = d * Bytes.i8(data, sc + is + 2) * q2;
                    out[o + l + 64] = d * Bytes.i8(data, sc + is + 4) * q3;
                    out[o + l + 96] = d * Bytes.i8(data, sc + is + 6) * q4;
                }
            }
        }
    }

    /**
     * Writes weight row {@code row} for {@link Q6_KLaneGemm}, {@code [blocks, 336]} at {@code dst[dstOffset ..]}: per
     * superblock, group g (0..7) lane k position m at float 32g + 8m + k holds sc[2g + (k ≥ 4)] · (q[32g + 4k + m] - 32)
     * (the {@link Q8_KLanes} lane order, exact integers, |.| ≤ 128 · 32); float 256 + 8g + k holds sc[2g + (k ≥ 4)];
     * floats 320 + k and 328 + k hold sc[2k] and sc[2k + 1]. {@code scale[scaleOffset + b]} = d.
     */
    void unpackLanes(int row, float[] dst, int dstOffset, float[] scale, int scaleOffset) {
        long w = rowOffset(row);
        for (int b = 0, o = dstOffset; b < blocks; b++, w += 210, o += Q8_KLanes.Q6_K_FLOATS) {
            scale[scaleOffset + b] = Float.float16ToFloat(data.get(Bytes.I16, w + 208));
            for (int g = 0; g < 8; g++) {
                int h = g >> 2, c = g & 3, nib = (c >> 1) * 4;
                int scLo = data.get(ValueLayout.JAVA_BYTE, w + 192 + 2 * g), scHi = data.get(ValueLayout.JAVA_BYTE, w + 193 + 2 * g);
                IntVector sc = IntVector.broadcast(Lanes.I32x8, scLo).blend(scHi, Lanes.UPPER_HALF);
                // int k = bytes 4k..4k+3 = elements 4k..4k+3 of the group
                IntVector ql = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 64 * h + 32 * (c & 1), Lanes.LE);
                IntVector qh = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 128 + 32 * h, Lanes.LE);
                int go = o + 32 * g;
                ((FloatVector) ql.lanewise(LSHR, nib).and(0xF).or(qh.lanewise(LSHR, 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go);
                ((FloatVector) ql.lanewise(LSHR, 8 + nib).and(0xF).or(qh.lanewise(LSHR, 8 + 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go + 8);
                ((FloatVector) ql.lanewise(LSHR, 16 + nib).and(0xF).or(qh.lanewise(LSHR, 16 + 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go + 16);
                ((FloatVector) ql.lanewise(LSHR, 24 + nib).and(0xF).or(qh.lanewise(LSHR, 24 + 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go + 24);
                for (int k = 0; k < 8; k++) dst[o + 256 + 8 * g + k] = k < 4 ? scLo : scHi;
            }
            for (int k = 0; k < 8; k++) {
                dst[o + 320 + k] = data.get(ValueLayout.JAVA_BYTE, w + 192 + 2 * k);
                dst[o + 328 + k] = data.get(ValueLayout.JAVA_BYTE, w + 193 + 2 * k);
            }
        }
    }

    /**
     * ggml_vec_dot_q6_K_q8_K, AVX2: lane sums of the unsigned 6-bit values (0..63) times the per-16 scales, then the -32
     * offset is removed per lane as 32 * (bsums[2k]*sc[2k] + bsums[2k+1]*sc[2k+1]) (q8sclsub), which spreads the integer
     * total over the lanes differently from subtracting 32 per element; acc = fma(y.d*d, float(sumi), acc). Computed by
     * {@link #dotSplit} on the row split by {@link SplitQ8K}.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        if (!Lanes.ENABLED) return ReferenceDot.q6_K(data, rowOffset(row), xq, xqOffset, cols);
        MemorySegment ys = SplitQ8K.scratch(blocks);
        SplitQ8K.split(xq, xqOffset, blocks, ys);
        return dotSplit(row, ys);
    }

    /** Int lanes [2c, 2c, 2c, 2c, 2c+1, 2c+1, 2c+1, 2c+1]: group c's two scales from a vector of four groups' scales. */
    private static final VectorShuffle<Integer> SCALE_PAIR_0 = VectorShuffle.fromValues(Lanes.I32x8, 0, 0, 0, 0, 1, 1, 1, 1);
    private static final VectorShuffle<Integer> SCALE_PAIR_1 = VectorShuffle.fromValues(Lanes.I32x8, 2, 2, 2, 2, 3, 3, 3, 3);
    private static final VectorShuffle<Integer> SCALE_PAIR_2 = VectorShuffle.fromValues(Lanes.I32x8, 4, 4, 4, 4, 5, 5, 5, 5);
    private static final VectorShuffle<Integer> SCALE_PAIR_3 = VectorShuffle.fromValues(Lanes.I32x8, 6, 6, 6, 6, 7, 7, 7, 7);

    /**
     * {@link #dot} on Q8_K activations split by {@link SplitQ8K}: the even/odd int16 activation lanes are ready, and each
     * 128-element half of a superblock is summed by {@link #halfSum}. Same integers and float order as ggml.
     */
    float dotSplit(int row, MemorySegment ys) {
        int[] part = PART.get();
        long w = rowOffset(row);
        long x = 0;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 210, x += SplitQ8K.BLOCK_BYTES) {
            float d = ys.get(Bytes.F32, x) * Float.float16ToFloat(data.get(Bytes.I16, w + 208));
            halfSum(w, ys, x, 0, part, 0);
            halfSum(w, ys, x, 1, part, 8);
            IntVector sumi = IntVector.fromArray(Lanes.I32x8, part, 0).add(IntVector.fromArray(Lanes.I32x8, part, 8));
            // q8sclsub: lane k = 32 * (bsums[2k]*sc[2k] + bsums[2k+1]*sc[2k+1])
            IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, ys, x + 4, Lanes.LE);
            IntVector scales = (IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 192, Lanes.LE)
                    .convertShape(S2I, Lanes.I32x8, 0);
            IntVector bEven = bsums.lanewise(LSHL, 16).lanewise(ASHR, 16), bOdd = bsums.lanewise(ASHR, 16);
            IntVector sEven = scales.lanewise(LSHL, 24).lanewise(ASHR, 24), sOdd = scales.lanewise(LSHL, 16).lanewise(ASHR, 24);
            sumi = sumi.sub(bEven.mul(sEven).add(bOdd.mul(sOdd)).lanewise(LSHL, 5));
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }

    /** Per-thread int lanes of {@link #halfSum}'s two halves. */
    private static final ThreadLocal<int[]> PART = ThreadLocal.withInitial(() -> new int[16]);

    /**
     * The int lane sums of elements 128h..128h+127 of the superblock at {@code data[w..]} with the split activations at
     * {@code ys[x..]}, unsigned 6-bit values times their scales, into {@code part[off..off + 8)}: the 6-bit values are
     * assembled in 16-bit lanes with constant shifts per group (the four groups are unrolled), each int lane's halves are
     * added by one multiply (a lane sum of four 6-bit × int8 products is below 2^15 in magnitude) and each group's two
     * scales come from one permute of the half's scale bytes. A method of its own: the whole superblock in one method is
     * too big for C1 ("out of virtual registers"), which then leaves the kernel interpreted until C2 takes it.
     */
    private void halfSum(long w, MemorySegment ys, long x, int h, int[] part, int off) {
        ShortVector qa = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 64L * h, Lanes.LE);        // ql, groups c = 0, 2
        ShortVector qb = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 64L * h + 32, Lanes.LE);   // ql, groups c = 1, 3
        ShortVector qh = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 128 + 32L * h, Lanes.LE);
        IntVector sc = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, w + 192 + 8L * h, Lanes.LE)
                .convertShape(B2I, Lanes.I32x8, 0);   // sc[8h .. 8h + 7]
        long y = x + 64 + 256L * h;
        IntVector sumi = IntVector.zero(Lanes.I32x8);
        {   // group 4h + 0
            ShortVector e = qa.and((short) 0xF).or(qh.lanewise(LSHL, 4).and((short) 0x30));
            ShortVector o = qa.lanewise(LSHR, 8).and((short) 0xF).or(qh.lanewise(LSHR, 4).and((short) 0x30));
            IntVector pp = e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 0, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            sumi = sumi.add(pp.mul(0x10001).lanewise(ASHR, 16).mul(sc.rearrange(SCALE_PAIR_0)));
        }
        {   // group 4h + 1
            ShortVector e = qb.and((short) 0xF).or(qh.lanewise(LSHL, 2).and((short) 0x30));
            ShortVector o = qb.lanewise(LSHR, 8).and((short) 0xF).or(qh.lanewise(LSHR, 6).and((short) 0x30));
            IntVector pp = e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 64, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 96, Lanes.LE))).reinterpretAsInts();
            sumi = sumi.add(pp.mul(0x10001).lanewise(ASHR, 16).mul(sc.rearrange(SCALE_PAIR_1)));
        }
        {   // group 4h + 2
            ShortVector e = qa.lanewise(LSHR, 4).and((short) 0xF).or(qh.and((short) 0x30));
            ShortVector o = qa.lanewise(LSHR, 12).or(qh.lanewise(LSHR, 8).and((short) 0x30));
            IntVector pp = e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 128, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 160, Lanes.LE))).reinterpretAsInts();
            sumi = sumi.add(pp.mul(0x10001).lanewise(ASHR, 16).mul(sc.rearrange(SCALE_PAIR_2)));
        }
        {   // group 4h + 3
            ShortVector e = qb.lanewise(LSHR, 4).and((short) 0xF).or(qh.lanewise(LSHR, 2).and((short) 0x30));
            ShortVector o = qb.lanewise(LSHR, 12).or(qh.lanewise(LSHR, 10).and((short) 0x30));
            IntVector pp = e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 192, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y + 224, Lanes.LE))).reinterpretAsInts();
            sumi = sumi.add(pp.mul(0x10001).lanewise(ASHR, 16).mul(sc.rearrange(SCALE_PAIR_3)));
        }
        sumi.intoArray(part, off);
    }
}
