package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
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
public final class Q6_KMatrix extends WeightMatrix implements Repackable, SplitWeights {
    /** The rows repacked for {@link Q6_Kx8Kernel} ({@link Repackable#pack}); none while the matrix is read in place. */
    private final PackedCopy<Q6_Kx8> packed = new PackedCopy<>(Q6_Kx8.TILE, Q6_Kx8.RECORD, Q6_Kx8::new);

    Q6_KMatrix(GgufTensor t) {
        super(t);
    }

    /** The repacked form, or null. */
    Q6_Kx8 packed() {
        return packed.get();
    }

    @Override
    public PackedCopy<Q6_Kx8> packedCopy() {
        return packed;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        Q6_Kx8 p = packed.get();
        if (p != null) {
            p.dequantizeRow(row, out, outOffset);
            return;
        }
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 210) {
            float d = Bytes.f16(data, w + 208);
            for (int h = 0; h < 2; h++) {
                long ql = w + 64 * h, qh = w + 128 + 32 * h, sc = w + 192 + 8 * h;
                int o = outOffset + 256 * b + 128 * h;
                if (Lanes.ENABLED) {   // the same 6-bit values and products, eight bytes at a time
                    for (int l = 0; l < 32; l += 8) {
                        int is = l / 16;
                        ByteVector a = ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, ql + l, Lanes.LE);
                        ByteVector c = ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, ql + l + 32, Lanes.LE);
                        ByteVector hb = ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, qh + l, Lanes.LE);
                        ByteVector q1 = a.and((byte) 0xF).or(hb.and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                        ByteVector q2 = c.and((byte) 0xF).or(hb.lanewise(LSHR, 2).and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                        ByteVector q3 = a.lanewise(LSHR, 4).or(hb.lanewise(LSHR, 4).and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                        ByteVector q4 = c.lanewise(LSHR, 4).or(hb.lanewise(LSHR, 6).lanewise(LSHL, 4)).sub((byte) 32);
                        ((FloatVector) q1.convertShape(B2F, Lanes.F32x8, 0)).mul(d * Bytes.i8(data, sc + is)).intoArray(out, o + l);
                        ((FloatVector) q2.convertShape(B2F, Lanes.F32x8, 0)).mul(d * Bytes.i8(data, sc + is + 2)).intoArray(out, o + l + 32);
                        ((FloatVector) q3.convertShape(B2F, Lanes.F32x8, 0)).mul(d * Bytes.i8(data, sc + is + 4)).intoArray(out, o + l + 64);
                        ((FloatVector) q4.convertShape(B2F, Lanes.F32x8, 0)).mul(d * Bytes.i8(data, sc + is + 6)).intoArray(out, o + l + 96);
                    }
                    continue;
                }
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
        if (Lanes.NARROW) return dotSplit128(row, ActivationSplit.Q8_K.splitOne(xq, xqOffset, blocks), 0);
        if (!Lanes.ENABLED) return ReferenceDot.q6_K(data, rowOffset(row), xq, xqOffset, cols);
        return dotSplit(row, ActivationSplit.Q8_K.splitOne(xq, xqOffset, blocks), 0);
    }

    @Override
    public ActivationSplit activationSplit() {
        return ActivationSplit.Q8_K;
    }

    @Override
    public int splitMaxN() {
        return SPLIT_MAX_N;
    }

    /**
     * See {@link #splitMaxN}. KernelBench, one thread, 2048 × 2048, ms per call split / Q6_KLaneGemm (two rounds): N=2
     * 0.95/2.6, N=3 1.45/2.9, N=4 1.5/2.8, N=6 2.5/5.1, N=8 3.0/3.7, N=12 4.6/4.7, N=16 5.9/5.8.
     */
    static final int SPLIT_MAX_N = 12;

    /** Every row: the vector loads stay inside each 210-byte superblock. */
    @Override
    public int splitRows() {
        return rows;
    }

    /** Int lanes [2c, 2c, 2c, 2c, 2c+1, 2c+1, 2c+1, 2c+1]: group c's two scales from a vector of four groups' scales. */
    private static final VectorShuffle<Integer> SCALE_PAIR_0 = VectorShuffle.fromValues(Lanes.I32x8, 0, 0, 0, 0, 1, 1, 1, 1);
    private static final VectorShuffle<Integer> SCALE_PAIR_1 = VectorShuffle.fromValues(Lanes.I32x8, 2, 2, 2, 2, 3, 3, 3, 3);
    private static final VectorShuffle<Integer> SCALE_PAIR_2 = VectorShuffle.fromValues(Lanes.I32x8, 4, 4, 4, 4, 5, 5, 5, 5);
    private static final VectorShuffle<Integer> SCALE_PAIR_3 = VectorShuffle.fromValues(Lanes.I32x8, 6, 6, 6, 6, 7, 7, 7, 7);

    /**
     * {@link #dot} on Q8_K activations split by {@link SplitQ8K} at {@code ys[base ..]}: the even/odd int16 activation lanes are ready, and each
     * 128-element half of a superblock is summed by {@link #halfSum}. Same integers and float order as ggml.
     */
    @Override
    public float dotSplit(int row, MemorySegment ys, long base) {
        int[] part = PART.get();
        long w = rowOffset(row);
        long x = base;
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

    /**
     * {@link #dotSplit} in 128-bit vectors ({@link SplitWeights#dotSplit128}): each half superblock's int lanes 0..3 and
     * 4..7 by {@link #quarter128}, then the q8sclsub correction and the float order of {@code dotSplit}.
     */
    @Override
    public float dotSplit128(int row, MemorySegment ys, long base) {
        int[] part = PART.get();
        long w = rowOffset(row);
        long x = base;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        for (int b = 0; b < blocks; b++, w += 210, x += SplitQ8K.BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(Lanes.F32x4, ys.get(Bytes.F32, x) * Float.float16ToFloat(data.get(Bytes.I16, w + 208)));
            long sc0 = data.get(Bytes.I64, w + 192), sc1 = data.get(Bytes.I64, w + 200);   // int8 scales 0..7, 8..15
            quarter128(w, ys, x, 0, 0, sc0, part, 0);
            quarter128(w, ys, x, 0, 1, sc0 >>> 8, part, 4);
            quarter128(w, ys, x, 1, 0, sc1, part, 8);
            quarter128(w, ys, x, 1, 1, sc1 >>> 8, part, 12);
            // q8sclsub as in dotSplit: lane k = 32 * (bsums[2k]*sc[2k] + bsums[2k+1]*sc[2k+1])
            IntVector bLo = IntVector.fromMemorySegment(Lanes.I32x4, ys, x + 4, Lanes.LE);
            IntVector bHi = IntVector.fromMemorySegment(Lanes.I32x4, ys, x + 20, Lanes.LE);
            ShortVector s16 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 192, Lanes.LE);   // short k = sc[2k], sc[2k+1]
            IntVector sLo = (IntVector) s16.convert(S2I, 0), sHi = (IntVector) s16.convert(S2I, 1);
            IntVector sumLo = IntVector.fromArray(Lanes.I32x4, part, 0).add(IntVector.fromArray(Lanes.I32x4, part, 8))
                    .sub(bLo.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sLo.lanewise(LSHL, 24).lanewise(ASHR, 24))
                            .add(bLo.lanewise(ASHR, 16).mul(sLo.lanewise(LSHL, 16).lanewise(ASHR, 24))).lanewise(LSHL, 5));
            IntVector sumHi = IntVector.fromArray(Lanes.I32x4, part, 4).add(IntVector.fromArray(Lanes.I32x4, part, 12))
                    .sub(bHi.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sHi.lanewise(LSHL, 24).lanewise(ASHR, 24))
                            .add(bHi.lanewise(ASHR, 16).mul(sHi.lanewise(LSHL, 16).lanewise(ASHR, 24))).lanewise(LSHL, 5));
            lo = ((FloatVector) sumLo.convert(I2F, 0)).fma(d, lo);
            hi = ((FloatVector) sumHi.convert(I2F, 0)).fma(d, hi);
        }
        return Lanes.hsum8(lo.lane(0), lo.lane(1), lo.lane(2), lo.lane(3), hi.lane(0), hi.lane(1), hi.lane(2), hi.lane(3));
    }

    /**
     * {@link #halfSum}'s int lanes 4s..4s+3 (elements 16s..16s+15 of each of half h's four 32-element groups) in 128-bit
     * vectors, into {@code part[off .. off + 4)}: the same 6-bit assembly, with group c's scale sc[8h + 2c + s] a scalar, byte 2c
     * of {@code sc}.
     * A quarter superblock per call: half of one in one method is past C2's inlining budget (its vectors were boxed,
     * 250x slower).
     */
    private void quarter128(long w, MemorySegment ys, long x, int h, int s, long sc, int[] part, int off) {
        ShortVector qa = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 64L * h + 16L * s, Lanes.LE);        // groups 0, 2
        ShortVector qb = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 64L * h + 32 + 16L * s, Lanes.LE);   // groups 1, 3
        ShortVector qh = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 128 + 32L * h + 16L * s, Lanes.LE);
        long y = x + 64 + 256L * h + 16L * s;
        ShortVector e0 = qa.and((short) 0xF).or(qh.lanewise(LSHL, 4).and((short) 0x30));
        ShortVector o0 = qa.lanewise(LSHR, 8).and((short) 0xF).or(qh.lanewise(LSHR, 4).and((short) 0x30));
        ShortVector e1 = qb.and((short) 0xF).or(qh.lanewise(LSHL, 2).and((short) 0x30));
        ShortVector o1 = qb.lanewise(LSHR, 8).and((short) 0xF).or(qh.lanewise(LSHR, 6).and((short) 0x30));
        ShortVector e2 = qa.lanewise(LSHR, 4).and((short) 0xF).or(qh.and((short) 0x30));
        ShortVector o2 = qa.lanewise(LSHR, 12).or(qh.lanewise(LSHR, 8).and((short) 0x30));
        ShortVector e3 = qb.lanewise(LSHR, 4).and((short) 0xF).or(qh.lanewise(LSHR, 2).and((short) 0x30));
        ShortVector o3 = qb.lanewise(LSHR, 12).or(qh.lanewise(LSHR, 10).and((short) 0x30));
        IntVector s0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts()
                .mul(0x10001).lanewise(ASHR, 16).mul((byte) (sc >>> 0));
        IntVector s1 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 64, Lanes.LE))
                .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 96, Lanes.LE))).reinterpretAsInts()
                .mul(0x10001).lanewise(ASHR, 16).mul((byte) (sc >>> 16));
        IntVector s2 = e2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 128, Lanes.LE))
                .add(o2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 160, Lanes.LE))).reinterpretAsInts()
                .mul(0x10001).lanewise(ASHR, 16).mul((byte) (sc >>> 32));
        IntVector s3 = e3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 192, Lanes.LE))
                .add(o3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 224, Lanes.LE))).reinterpretAsInts()
                .mul(0x10001).lanewise(ASHR, 16).mul((byte) (sc >>> 48));
        s0.add(s1).add(s2).add(s3).intoArray(part, off);
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

    /**
     * {@link #dotSplit} of one weight row against four split activation rows at once (tokens t..t+3 of {@code ys}, one
     * {@link SplitQ8K} row every {@code stride} bytes): each superblock's 6-bit values are assembled once for the four
     * tokens ({@link #quarterSum4}). Every token's integers and float order are those of {@code dotSplit}, so the results are
     * the same bits. Writes {@code out[o + j * outStride]} for token t + j.
     */
    @Override
    public void dotSplit4(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        int[] part = PART4.get();
        long w = rowOffset(row);
        long x0 = t * stride, x1 = x0 + stride, x2 = x1 + stride, x3 = x2 + stride;
        FloatVector a0 = FloatVector.zero(Lanes.F32x8), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, w += 210, x0 += SplitQ8K.BLOCK_BYTES, x1 += SplitQ8K.BLOCK_BYTES,
                x2 += SplitQ8K.BLOCK_BYTES, x3 += SplitQ8K.BLOCK_BYTES) {
            float dw = Float.float16ToFloat(data.get(Bytes.I16, w + 208));
            quarterSum4(w, ys, x0, stride, 0, 0, part);
            quarterSum4(w, ys, x0, stride, 0, 1, part);
            quarterSum4(w, ys, x0, stride, 1, 0, part);
            quarterSum4(w, ys, x0, stride, 1, 1, part);
            IntVector scales = (IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 192, Lanes.LE)
                    .convertShape(S2I, Lanes.I32x8, 0);
            IntVector sEven = scales.lanewise(LSHL, 24).lanewise(ASHR, 24), sOdd = scales.lanewise(LSHL, 16).lanewise(ASHR, 24);
            {   // token t + 0: q8sclsub as in dotSplit
                IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, ys, x0 + 4, Lanes.LE);
                IntVector sumi = IntVector.fromArray(Lanes.I32x8, part, 0).add(IntVector.fromArray(Lanes.I32x8, part, 32))
                        .add(IntVector.fromArray(Lanes.I32x8, part, 64)).add(IntVector.fromArray(Lanes.I32x8, part, 96))
                        .sub(bsums.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sEven).add(bsums.lanewise(ASHR, 16).mul(sOdd)).lanewise(LSHL, 5));
                a0 = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, ys.get(Bytes.F32, x0) * dw), a0);
            }
            {   // token t + 1
                IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, ys, x1 + 4, Lanes.LE);
                IntVector sumi = IntVector.fromArray(Lanes.I32x8, part, 8).add(IntVector.fromArray(Lanes.I32x8, part, 40))
                        .add(IntVector.fromArray(Lanes.I32x8, part, 72)).add(IntVector.fromArray(Lanes.I32x8, part, 104))
                        .sub(bsums.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sEven).add(bsums.lanewise(ASHR, 16).mul(sOdd)).lanewise(LSHL, 5));
                a1 = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, ys.get(Bytes.F32, x1) * dw), a1);
            }
            {   // token t + 2
                IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, ys, x2 + 4, Lanes.LE);
                IntVector sumi = IntVector.fromArray(Lanes.I32x8, part, 16).add(IntVector.fromArray(Lanes.I32x8, part, 48))
                        .add(IntVector.fromArray(Lanes.I32x8, part, 80)).add(IntVector.fromArray(Lanes.I32x8, part, 112))
                        .sub(bsums.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sEven).add(bsums.lanewise(ASHR, 16).mul(sOdd)).lanewise(LSHL, 5));
                a2 = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, ys.get(Bytes.F32, x2) * dw), a2);
            }
            {   // token t + 3
                IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, ys, x3 + 4, Lanes.LE);
                IntVector sumi = IntVector.fromArray(Lanes.I32x8, part, 24).add(IntVector.fromArray(Lanes.I32x8, part, 56))
                        .add(IntVector.fromArray(Lanes.I32x8, part, 88)).add(IntVector.fromArray(Lanes.I32x8, part, 120))
                        .sub(bsums.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sEven).add(bsums.lanewise(ASHR, 16).mul(sOdd)).lanewise(LSHL, 5));
                a3 = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, ys.get(Bytes.F32, x3) * dw), a3);
            }
        }
        out[o] = Lanes.hsum8(a0.lane(0), a0.lane(1), a0.lane(2), a0.lane(3), a0.lane(4), a0.lane(5), a0.lane(6), a0.lane(7));
        out[o + outStride] = Lanes.hsum8(a1.lane(0), a1.lane(1), a1.lane(2), a1.lane(3), a1.lane(4), a1.lane(5), a1.lane(6), a1.lane(7));
        out[o + 2 * outStride] = Lanes.hsum8(a2.lane(0), a2.lane(1), a2.lane(2), a2.lane(3), a2.lane(4), a2.lane(5), a2.lane(6), a2.lane(7));
        out[o + 3 * outStride] = Lanes.hsum8(a3.lane(0), a3.lane(1), a3.lane(2), a3.lane(3), a3.lane(4), a3.lane(5), a3.lane(6), a3.lane(7));
    }

    /** Per-thread int lanes of {@link #quarterSum4}: {@code [half, k, token, 8]}. */
    private static final ThreadLocal<int[]> PART4 = ThreadLocal.withInitial(() -> new int[128]);

    /**
     * {@link #halfSum}'s groups 4h + k and 4h + k + 2 (k = 0, 1: the groups whose low bits share one 32-byte ql load) for
     * four split activation rows ({@code ys[x + j * stride ..]}, j < 4), each group's 6-bit values assembled once: token
     * j's int lanes into {@code part[64h + 32k + 8j ..]}. A quarter of a superblock per call: half of one (4.6 KB with four
     * tokens) is past what C1 compiles ("out of virtual registers"), and the tiered policy then never hands it to C2.
     */
    private void quarterSum4(long w, MemorySegment ys, long x, long stride, int h, int k, int[] part) {
        ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 64L * h + 32L * k, Lanes.LE);   // ql
        ShortVector qh = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 128 + 32L * h, Lanes.LE);
        IntVector sc = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, w + 192 + 8L * h, Lanes.LE)
                .convertShape(B2I, Lanes.I32x8, 0);   // sc[8h .. 8h + 7]
        VectorShuffle<Integer> pLo = k == 0 ? SCALE_PAIR_0 : SCALE_PAIR_1, pHi = k == 0 ? SCALE_PAIR_2 : SCALE_PAIR_3;
        long y0 = x + 64 + 256L * h, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride;
        IntVector s0 = IntVector.zero(Lanes.I32x8), s1 = s0, s2 = s0, s3 = s0;
        {   // group 4h + k
            ShortVector e = q.and((short) 0xF).or(qh.lanewise(LSHL, 4 - 2 * k).and((short) 0x30));
            ShortVector o = q.lanewise(LSHR, 8).and((short) 0xF).or(qh.lanewise(LSHR, 4 + 2 * k).and((short) 0x30));
            IntVector sc2 = sc.rearrange(pLo);
            long y = 64 * k;
            s0 = s0.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
            s1 = s1.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
            s2 = s2.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
            s3 = s3.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
        }
        {   // group 4h + 2 + k
            ShortVector e = q.lanewise(LSHR, 4).and((short) 0xF).or(qh.lanewise(LSHR, 2 * k).and((short) 0x30));
            ShortVector o = q.lanewise(LSHR, 12).or(qh.lanewise(LSHR, 8 + 2 * k).and((short) 0x30));
            IntVector sc2 = sc.rearrange(pHi);
            long y = 128 + 64 * k;
            s0 = s0.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y0 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
            s1 = s1.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y1 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
            s2 = s2.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y2 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
            s3 = s3.add(e.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y, Lanes.LE))
                    .add(o.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, y3 + y + 32, Lanes.LE))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).mul(sc2));
        }
        int at = 64 * h + 32 * k;
        s0.intoArray(part, at);
        s1.intoArray(part, at + 8);
        s2.intoArray(part, at + 16);
        s3.intoArray(part, at + 24);
    }
}
