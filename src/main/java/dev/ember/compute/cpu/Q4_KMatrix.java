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

/**
 * Q4_K weights: superblocks of 256 as {fp16 d, fp16 dmin, uint8 scales[12], uint8 qs[128]} (144 bytes): 8 sub-blocks of
 * 32 with 6-bit scale sc and min m; element 64j + l = qs[32j + l] & 15 (sub-block 2j), 64j + 32 + l = qs[32j + l] >> 4
 * (sub-block 2j+1); value = (d*sc)*q - dmin*m. Activations Q8_K.
 */
public final class Q4_KMatrix extends WeightMatrix implements Repackable, SplitWeights {
    /** The rows repacked for {@link Q4_Kx8Kernel} ({@link Repackable#pack}); none while the matrix is read in place. */
    private final PackedCopy<Q4_Kx8> packed = new PackedCopy<>(Q4_Kx8.TILE, Q4_Kx8.RECORD, Q4_Kx8::new);

    Q4_KMatrix(GgufTensor t) {
        super(t);
    }

    /** The repacked form, or null. */
    Q4_Kx8 packed() {
        return packed.get();
    }

    @Override
    public PackedCopy<Q4_Kx8> packedCopy() {
        return packed;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        Q4_Kx8 p = packed.get();
        if (p != null) {
            p.dequantizeRow(row, out, outOffset);
            return;
        }
        for (int b = 0; b < blocks; b++, w += 144) {
            float d = Bytes.f16(data, w), min = Bytes.f16(data, w + 2);
            int o = outOffset + 256 * b;
            for (int j = 0; j < 4; j++) {
                float d1 = d * KScales.scaleK4(data, w + 4, 2 * j), m1 = min * KScales.minK4(data, w + 4, 2 * j);
                float d2 = d * KScales.scaleK4(data, w + 4, 2 * j + 1), m2 = min * KScales.minK4(data, w + 4, 2 * j + 1);
                if (Lanes.ENABLED) {   // the same products and differences (no FMA), eight bytes at a time
                    for (int l = 0; l < 32; l += 8) {
                        ByteVector q = ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, w + 16 + 32 * j + l, Lanes.LE);
                        ((FloatVector) q.and((byte) 0xF).convertShape(B2F, Lanes.F32x8, 0)).mul(d1).sub(m1)
                                .intoArray(out, o + 64 * j + l);
                        ((FloatVector) q.lanewise(LSHR, 4).convertShape(B2F, Lanes.F32x8, 0)).mul(d2).sub(m2)
                                .intoArray(out, o + 64 * j + 32 + l);
                    }
                    continue;
                }
                for (int l = 0; l < 32; l++) {
                    int q = Bytes.u8(data, w + 16 + 32 * j + l);
                    out[o + 64 * j + l] = d1 * (q & 0xF) - m1;
                    out[o + 64 * j + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /** Floats per superblock of {@link #unpackLanes}'s metadata: d, dmin, and the mins ordered m0, m2, m4, m6, m1, m3, m5, m7. */
    static final int LANE_META = 10;

    /**
     * Writes weight row {@code row} for {@link Q4_KLaneGemm}: {@code dst[dstOffset + 256b ..]} superblock b's quants times
     * their sub-block scale, sc[p] * q[32p + 4k + m] at float 32p + 8m + k (the {@link Q8_KLanes} lane order), exact
     * integers ≤ 63 * 15; {@code meta[metaOffset + 10b ..]} = {d, dmin, m0, m2, m4, m6, m1, m3, m5, m7}.
     */
    void unpackLanes(int row, float[] dst, int dstOffset, float[] meta, int metaOffset) {
        long w = rowOffset(row);
        for (int b = 0, o = dstOffset, mo = metaOffset; b < blocks; b++, w += 144, o += 256, mo += LANE_META) {
            meta[mo] = Float.float16ToFloat(data.get(Bytes.I16, w));
            meta[mo + 1] = Float.float16ToFloat(data.get(Bytes.I16, w + 2));
            for (int p = 0; p < 8; p++) meta[mo + 2 + (p >> 1) + 4 * (p & 1)] = KScales.minK4(data, w + 4, p);
            for (int j = 0; j < 4; j++) {
                int scLo = KScales.scaleK4(data, w + 4, 2 * j), scHi = KScales.scaleK4(data, w + 4, 2 * j + 1);
                IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 16 + 32 * j, Lanes.LE); // int k = bytes 4k..4k+3
                int lo = o + 64 * j, hi = lo + 32;
                ((FloatVector) q.and(0xF).mul(scLo).convert(I2F, 0)).intoArray(dst, lo);
                ((FloatVector) q.lanewise(LSHR, 4).and(0xF).mul(scHi).convert(I2F, 0)).intoArray(dst, hi);
                ((FloatVector) q.lanewise(LSHR, 8).and(0xF).mul(scLo).convert(I2F, 0)).intoArray(dst, lo + 8);
                ((FloatVector) q.lanewise(LSHR, 12).and(0xF).mul(scHi).convert(I2F, 0)).intoArray(dst, hi + 8);
                ((FloatVector) q.lanewise(LSHR, 16).and(0xF).mul(scLo).convert(I2F, 0)).intoArray(dst, lo + 16);
                ((FloatVector) q.lanewise(LSHR, 20).and(0xF).mul(scHi).convert(I2F, 0)).intoArray(dst, hi + 16);
                ((FloatVector) q.lanewise(LSHR, 24).and(0xF).mul(scLo).convert(I2F, 0)).intoArray(dst, lo + 24);
                ((FloatVector) q.lanewise(LSHR, 28).mul(scHi).convert(I2F, 0)).intoArray(dst, hi + 24);
            }
        }
    }

    /**
     * ggml_vec_dot_q4_K_q8_K, AVX2: per superblock, integer lane sums weighted by the sub-block scales, acc = fma(y.d*d,
     * float(sumi), acc); the mins go through Q8_K's bsums into a separate 4-lane accumulator acc_m = fma(-y.d*dmin,
     * m[2p]*s[2p] + m[2p+1]*s[2p+1], acc_m) with s[k] = bsums[2k] + bsums[2k+1]; result hsum_float_8(acc) +
     * ((acc_m0 + acc_m2) + (acc_m1 + acc_m3)). Computed by {@link #dotSplit} on the row split by {@link SplitQ8K}.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        if (Lanes.NARROW) return dotSplit128(row, ActivationSplit.Q8_K.splitOne(xq, xqOffset, blocks), 0);
        if (!Lanes.ENABLED) return ReferenceDot.q4_K(data, rowOffset(row), xq, xqOffset, cols);
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
     * See {@link #splitMaxN}. KernelBench, one thread, 2048 × 2048, ms per call split (four dotSplit calls per four
     * tokens) / Q4_KLaneGemm (two rounds): N=2 1.3-1.6/1.7-1.8, N=3 1.7-2.1/2.5, N=4 2.2-2.5/2.2, N=8 4.5-5.7/2.7-3.0.
     */
    static final int SPLIT_MAX_N = 3;

    /** Every row: the vector loads stay inside each 144-byte superblock. */
    @Override
    public int splitRows() {
        return rows;
    }

    /**
     * Four {@link #dotSplit} calls (the 144-byte superblock stays in L1 between them). Decoding scales and mins and
     * unpacking nibbles once for the four tokens was tried twice: as one method (4.6 KB of bytecode) C1 gives up on it
     * ("out of virtual registers") and the tiered policy then never hands it to C2; split into per-quarter and per-token
     * methods it compiles but is slower than this loop (KernelBench N=4: 2.4-2.8 vs 2.2-2.5 ms per 2048 x 2048 call).
     */
    @Override
    public void dotSplit4(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        for (int j = 0; j < 4; j++) out[o + j * outStride] = dotSplit(row, ys, (t + j) * stride);
    }

    /**
     * {@link #dot} on Q8_K activations split by {@link SplitQ8K} at {@code ys[base ..]} (even/odd int16 lanes ready, each int lane's halves added
     * by one multiply: a lane sum of two nibble × int8 pairs fits in 16 bits). The four 64-element halves stay unrolled.
     */
    @Override
    public float dotSplit(int row, MemorySegment ys, long base) {
        long w = rowOffset(row);
        long x = base;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        float am0 = 0, am1 = 0, am2 = 0, am3 = 0;
        for (int b = 0; b < blocks; b++, w += 144, x += SplitQ8K.BLOCK_BYTES) {
            float yd = ys.get(Bytes.F32, x);
            float d = yd * Float.float16ToFloat(data.get(Bytes.I16, w));
            float dminW = Float.float16ToFloat(data.get(Bytes.I16, w + 2));
            // the 12 scale bytes as a long and an int; get_scale_min_k4 on registers
            long s0 = data.get(Bytes.I64, w + 4);
            int s1 = data.get(Bytes.I32, w + 12);
            long sc = KScales.scalesK4(s0, s1), mn = KScales.minsK4(s0, s1);   // scales, mins as bytes
            int sc0 = KScales.byteAt(sc, 0), sc1 = KScales.byteAt(sc, 1);
            int sc2 = KScales.byteAt(sc, 2), sc3 = KScales.byteAt(sc, 3);
            int sc4 = KScales.byteAt(sc, 4), sc5 = KScales.byteAt(sc, 5);
            int sc6 = KScales.byteAt(sc, 6), sc7 = KScales.byteAt(sc, 7);
            {
                float dmin = -yd * dminW;
                am0 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 4), 0), am0);
                am1 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 12), 1), am1);
                am2 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 20), 2), am2);
                am3 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 28), 3), am3);
            }
            IntVector sumi = IntVector.zero(Lanes.I32x8);
            {
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 16, Lanes.LE);
                ShortVector qe0 = q.and((short) 0xF), qo0 = q.lanewise(LSHR, 8).and((short) 0xF);
                ShortVector qe1 = q.lanewise(LSHR, 4).and((short) 0xF), qo1 = q.lanewise(LSHR, 12);
                {
                    IntVector slp = qe0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 64, Lanes.LE))
                            .add(qo0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 96, Lanes.LE))).reinterpretAsInts();
                    IntVector shp = qe1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 128, Lanes.LE))
                            .add(qo1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 160, Lanes.LE))).reinterpretAsInts();
                    IntVector sl = slp.mul(0x10001).lanewise(ASHR, 16);
                    IntVector sh = shp.mul(0x10001).lanewise(ASHR, 16);
                    sumi = sumi.add(sl.mul(sc0)).add(sh.mul(sc1));
                }
            }
            {
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 48, Lanes.LE);
                ShortVector qe0 = q.and((short) 0xF), qo0 = q.lanewise(LSHR, 8).and((short) 0xF);
                ShortVector qe1 = q.lanewise(LSHR, 4).and((short) 0xF), qo1 = q.lanewise(LSHR, 12);
                {
                    IntVector slp = qe0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 192, Lanes.LE))
                            .add(qo0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 224, Lanes.LE))).reinterpretAsInts();
                    IntVector shp = qe1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 256, Lanes.LE))
                            .add(qo1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 288, Lanes.LE))).reinterpretAsInts();
                    IntVector sl = slp.mul(0x10001).lanewise(ASHR, 16);
                    IntVector sh = shp.mul(0x10001).lanewise(ASHR, 16);
                    sumi = sumi.add(sl.mul(sc2)).add(sh.mul(sc3));
                }
            }
            {
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 80, Lanes.LE);
                ShortVector qe0 = q.and((short) 0xF), qo0 = q.lanewise(LSHR, 8).and((short) 0xF);
                ShortVector qe1 = q.lanewise(LSHR, 4).and((short) 0xF), qo1 = q.lanewise(LSHR, 12);
                {
                    IntVector slp = qe0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 320, Lanes.LE))
                            .add(qo0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 352, Lanes.LE))).reinterpretAsInts();
                    IntVector shp = qe1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 384, Lanes.LE))
                            .add(qo1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 416, Lanes.LE))).reinterpretAsInts();
                    IntVector sl = slp.mul(0x10001).lanewise(ASHR, 16);
                    IntVector sh = shp.mul(0x10001).lanewise(ASHR, 16);
                    sumi = sumi.add(sl.mul(sc4)).add(sh.mul(sc5));
                }
            }
            {
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 112, Lanes.LE);
                ShortVector qe0 = q.and((short) 0xF), qo0 = q.lanewise(LSHR, 8).and((short) 0xF);
                ShortVector qe1 = q.lanewise(LSHR, 4).and((short) 0xF), qo1 = q.lanewise(LSHR, 12);
                {
                    IntVector slp = qe0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 448, Lanes.LE))
                            .add(qo0.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 480, Lanes.LE))).reinterpretAsInts();
                    IntVector shp = qe1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 512, Lanes.LE))
                            .add(qo1.mul(ShortVector.fromMemorySegment(Lanes.S16x16, ys, x + 544, Lanes.LE))).reinterpretAsInts();
                    IntVector sl = slp.mul(0x10001).lanewise(ASHR, 16);
                    IntVector sh = shp.mul(0x10001).lanewise(ASHR, 16);
                    sumi = sumi.add(sl.mul(sc6)).add(sh.mul(sc7));
                }
            }
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7)) + ((am0 + am2) + (am1 + am3));
    }

    /**
     * {@link #dotSplit} in 128-bit vectors ({@link SplitWeights#dotSplit128}): each superblock's int lanes 0..3 (elements
     * 0..15 of every sub-block) and 4..7 (16..31) summed per quarter by {@link #quarter128} into a per-thread array (the
     * whole superblock in one method is past C2's inlining budget: its vectors were boxed, 150x slower), the scales, mins
     * and float order as in {@code dotSplit}.
     */
    @Override
    public float dotSplit128(int row, MemorySegment ys, long base) {
        int[] part = PART128.get();
        long w = rowOffset(row);
        long x = base;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        float am0 = 0, am1 = 0, am2 = 0, am3 = 0;
        for (int b = 0; b < blocks; b++, w += 144, x += SplitQ8K.BLOCK_BYTES) {
            float yd = ys.get(Bytes.F32, x);
            FloatVector d = FloatVector.broadcast(Lanes.F32x4, yd * Float.float16ToFloat(data.get(Bytes.I16, w)));
            float dmin = -yd * Float.float16ToFloat(data.get(Bytes.I16, w + 2));
            long s0 = data.get(Bytes.I64, w + 4);
            int s1 = data.get(Bytes.I32, w + 12);
            long sc = KScales.scalesK4(s0, s1), mn = KScales.minsK4(s0, s1);   // scales, mins as bytes
            am0 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 4), 0), am0);
            am1 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 12), 1), am1);
            am2 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 20), 2), am2);
            am3 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 28), 3), am3);
            quarter128(w, ys, x, 0, KScales.byteAt(sc, 0), KScales.byteAt(sc, 1), part, 0);
            quarter128(w, ys, x, 1, KScales.byteAt(sc, 2), KScales.byteAt(sc, 3), part, 8);
            quarter128(w, ys, x, 2, KScales.byteAt(sc, 4), KScales.byteAt(sc, 5), part, 16);
            quarter128(w, ys, x, 3, KScales.byteAt(sc, 6), KScales.byteAt(sc, 7), part, 24);
            IntVector sumLo = IntVector.fromArray(Lanes.I32x4, part, 0).add(IntVector.fromArray(Lanes.I32x4, part, 8))
                    .add(IntVector.fromArray(Lanes.I32x4, part, 16)).add(IntVector.fromArray(Lanes.I32x4, part, 24));
            IntVector sumHi = IntVector.fromArray(Lanes.I32x4, part, 4).add(IntVector.fromArray(Lanes.I32x4, part, 12))
                    .add(IntVector.fromArray(Lanes.I32x4, part, 20)).add(IntVector.fromArray(Lanes.I32x4, part, 28));
            lo = ((FloatVector) sumLo.convert(I2F, 0)).fma(d, lo);
            hi = ((FloatVector) sumHi.convert(I2F, 0)).fma(d, hi);
        }
        return Lanes.hsum8(lo.lane(0), lo.lane(1), lo.lane(2), lo.lane(3), hi.lane(0), hi.lane(1), hi.lane(2), hi.lane(3))
                + ((am0 + am2) + (am1 + am3));
    }

    /**
     * {@link #dotSplit128} against four split activation rows at once (tokens t..t+3, one {@link SplitQ8K} row every
     * {@code stride} bytes): each superblock's scales and mins decoded and its nibbles unpacked once for the four
     * ({@link #quarter4x128}); every token's integers and float order are those of {@code dotSplit128}, so the same bits.
     */
    @Override
    public void dotSplit4x128(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        int[] part = PART4x128.get();
        float am00 = 0, am01 = 0, am02 = 0, am03 = 0, am10 = 0, am11 = 0, am12 = 0, am13 = 0;   // am<token><lane>: mins terms
        float am20 = 0, am21 = 0, am22 = 0, am23 = 0, am30 = 0, am31 = 0, am32 = 0, am33 = 0;
        long w = rowOffset(row);
        long x0 = t * stride, x1 = x0 + stride, x2 = x1 + stride, x3 = x2 + stride;
        FloatVector lo0 = FloatVector.zero(Lanes.F32x4), lo1 = lo0, lo2 = lo0, lo3 = lo0, hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
        for (int b = 0; b < blocks; b++, w += 144) {
            long xb = (long) SplitQ8K.BLOCK_BYTES * b;
            float dw = Float.float16ToFloat(data.get(Bytes.I16, w));
            float dminW = Float.float16ToFloat(data.get(Bytes.I16, w + 2));
            long s0 = data.get(Bytes.I64, w + 4);
            int s1 = data.get(Bytes.I32, w + 12);
            long sc = KScales.scalesK4(s0, s1), mn = KScales.minsK4(s0, s1);   // scales, mins as bytes
            quarter4x128(w, ys, x0 + xb, stride, 0, KScales.byteAt(sc, 0), KScales.byteAt(sc, 1), part, 0);
            quarter4x128(w, ys, x0 + xb, stride, 1, KScales.byteAt(sc, 2), KScales.byteAt(sc, 3), part, 8);
            quarter4x128(w, ys, x0 + xb, stride, 2, KScales.byteAt(sc, 4), KScales.byteAt(sc, 5), part, 16);
            quarter4x128(w, ys, x0 + xb, stride, 3, KScales.byteAt(sc, 6), KScales.byteAt(sc, 7), part, 24);
            {   // token t + 0
                long x = x0 + xb;
                float yd = ys.get(Bytes.F32, x);
                float dmin = -yd * dminW;
                am00 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 4), 0), am00);
                am01 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 12), 1), am01);
                am02 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 20), 2), am02);
                am03 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 28), 3), am03);
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, yd * dw);
                int at = 32 * 0;
                IntVector sumLo = IntVector.fromArray(Lanes.I32x4, part, at).add(IntVector.fromArray(Lanes.I32x4, part, at + 8))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 16)).add(IntVector.fromArray(Lanes.I32x4, part, at + 24));
                IntVector sumHi = IntVector.fromArray(Lanes.I32x4, part, at + 4).add(IntVector.fromArray(Lanes.I32x4, part, at + 12))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 20)).add(IntVector.fromArray(Lanes.I32x4, part, at + 28));
                lo0 = ((FloatVector) sumLo.convert(I2F, 0)).fma(d, lo0);
                hi0 = ((FloatVector) sumHi.convert(I2F, 0)).fma(d, hi0);
            }
            {   // token t + 1
                long x = x1 + xb;
                float yd = ys.get(Bytes.F32, x);
                float dmin = -yd * dminW;
                am10 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 4), 0), am10);
                am11 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 12), 1), am11);
                am12 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 20), 2), am12);
                am13 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 28), 3), am13);
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, yd * dw);
                int at = 32 * 1;
                IntVector sumLo = IntVector.fromArray(Lanes.I32x4, part, at).add(IntVector.fromArray(Lanes.I32x4, part, at + 8))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 16)).add(IntVector.fromArray(Lanes.I32x4, part, at + 24));
                IntVector sumHi = IntVector.fromArray(Lanes.I32x4, part, at + 4).add(IntVector.fromArray(Lanes.I32x4, part, at + 12))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 20)).add(IntVector.fromArray(Lanes.I32x4, part, at + 28));
                lo1 = ((FloatVector) sumLo.convert(I2F, 0)).fma(d, lo1);
                hi1 = ((FloatVector) sumHi.convert(I2F, 0)).fma(d, hi1);
            }
            {   // token t + 2
                long x = x2 + xb;
                float yd = ys.get(Bytes.F32, x);
                float dmin = -yd * dminW;
                am20 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 4), 0), am20);
                am21 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 12), 1), am21);
                am22 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 20), 2), am22);
                am23 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 28), 3), am23);
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, yd * dw);
                int at = 32 * 2;
                IntVector sumLo = IntVector.fromArray(Lanes.I32x4, part, at).add(IntVector.fromArray(Lanes.I32x4, part, at + 8))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 16)).add(IntVector.fromArray(Lanes.I32x4, part, at + 24));
                IntVector sumHi = IntVector.fromArray(Lanes.I32x4, part, at + 4).add(IntVector.fromArray(Lanes.I32x4, part, at + 12))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 20)).add(IntVector.fromArray(Lanes.I32x4, part, at + 28));
                lo2 = ((FloatVector) sumLo.convert(I2F, 0)).fma(d, lo2);
                hi2 = ((FloatVector) sumHi.convert(I2F, 0)).fma(d, hi2);
            }
            {   // token t + 3
                long x = x3 + xb;
                float yd = ys.get(Bytes.F32, x);
                float dmin = -yd * dminW;
                am30 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 4), 0), am30);
                am31 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 12), 1), am31);
                am32 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 20), 2), am32);
                am33 = Math.fma(dmin, (float) minTerm(mn, ys.get(Bytes.I64, x + 28), 3), am33);
                FloatVector d = FloatVector.broadcast(Lanes.F32x4, yd * dw);
                int at = 32 * 3;
                IntVector sumLo = IntVector.fromArray(Lanes.I32x4, part, at).add(IntVector.fromArray(Lanes.I32x4, part, at + 8))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 16)).add(IntVector.fromArray(Lanes.I32x4, part, at + 24));
                IntVector sumHi = IntVector.fromArray(Lanes.I32x4, part, at + 4).add(IntVector.fromArray(Lanes.I32x4, part, at + 12))
                        .add(IntVector.fromArray(Lanes.I32x4, part, at + 20)).add(IntVector.fromArray(Lanes.I32x4, part, at + 28));
                lo3 = ((FloatVector) sumLo.convert(I2F, 0)).fma(d, lo3);
                hi3 = ((FloatVector) sumHi.convert(I2F, 0)).fma(d, hi3);
            }
        }
        out[o] = Lanes.hsum8(lo0.lane(0), lo0.lane(1), lo0.lane(2), lo0.lane(3), hi0.lane(0), hi0.lane(1), hi0.lane(2), hi0.lane(3))
                + ((am00 + am02) + (am01 + am03));
        out[o + 1 * outStride] = Lanes.hsum8(lo1.lane(0), lo1.lane(1), lo1.lane(2), lo1.lane(3), hi1.lane(0), hi1.lane(1), hi1.lane(2), hi1.lane(3))
                + ((am10 + am12) + (am11 + am13));
        out[o + 2 * outStride] = Lanes.hsum8(lo2.lane(0), lo2.lane(1), lo2.lane(2), lo2.lane(3), hi2.lane(0), hi2.lane(1), hi2.lane(2), hi2.lane(3))
                + ((am20 + am22) + (am21 + am23));
        out[o + 3 * outStride] = Lanes.hsum8(lo3.lane(0), lo3.lane(1), lo3.lane(2), lo3.lane(3), hi3.lane(0), hi3.lane(1), hi3.lane(2), hi3.lane(3))
                + ((am30 + am32) + (am31 + am33));
    }

    /** Per-thread int lanes of {@link #dotSplit4x128}: per token, per quarter, lanes 0..3 then 4..7. */
    private static final ThreadLocal<int[]> PART4x128 = ThreadLocal.withInitial(() -> new int[128]);

    /**
     * {@link #quarter128} for four split activation rows ({@code ys[x + j * stride ..]}, j < 4), the quarter's nibbles
     * unpacked once: token j's int lanes at {@code part[off + 32j ..]} (0..3) and {@code part[off + 32j + 4 ..]} (4..7).
     */
    private void quarter4x128(long w, MemorySegment ys, long x, long stride, int j, int scA, int scB, int[] part, int off) {
        ShortVector q0 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 16 + 32L * j, Lanes.LE);
        ShortVector q1 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 32 + 32L * j, Lanes.LE);
        ShortVector e0 = q0.and((short) 0xF), o0 = q0.lanewise(LSHR, 8).and((short) 0xF);
        ShortVector e1 = q0.lanewise(LSHR, 4).and((short) 0xF), o1 = q0.lanewise(LSHR, 12);
        ShortVector e2 = q1.and((short) 0xF), o2 = q1.lanewise(LSHR, 8).and((short) 0xF);
        ShortVector e3 = q1.lanewise(LSHR, 4).and((short) 0xF), o3 = q1.lanewise(LSHR, 12);
        x += 64 + 128L * j;
        {   // token 0
            long y = x + 0 * stride;
            IntVector l0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                    .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector h0 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 64, Lanes.LE))
                    .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 96, Lanes.LE))).reinterpretAsInts();
            IntVector l1 = e2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                    .add(o2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
            IntVector h1 = e3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 80, Lanes.LE))
                    .add(o3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 112, Lanes.LE))).reinterpretAsInts();
            l0.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h0.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 0);
            l1.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h1.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 4);
        }
        {   // token 1
            long y = x + 1 * stride;
            IntVector l0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                    .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector h0 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 64, Lanes.LE))
                    .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 96, Lanes.LE))).reinterpretAsInts();
            IntVector l1 = e2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                    .add(o2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
            IntVector h1 = e3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 80, Lanes.LE))
                    .add(o3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 112, Lanes.LE))).reinterpretAsInts();
            l0.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h0.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 32);
            l1.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h1.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 36);
        }
        {   // token 2
            long y = x + 2 * stride;
            IntVector l0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                    .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector h0 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 64, Lanes.LE))
                    .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 96, Lanes.LE))).reinterpretAsInts();
            IntVector l1 = e2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                    .add(o2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
            IntVector h1 = e3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 80, Lanes.LE))
                    .add(o3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 112, Lanes.LE))).reinterpretAsInts();
            l0.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h0.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 64);
            l1.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h1.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 68);
        }
        {   // token 3
            long y = x + 3 * stride;
            IntVector l0 = e0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                    .add(o0.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE))).reinterpretAsInts();
            IntVector h0 = e1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 64, Lanes.LE))
                    .add(o1.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 96, Lanes.LE))).reinterpretAsInts();
            IntVector l1 = e2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                    .add(o2.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE))).reinterpretAsInts();
            IntVector h1 = e3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 80, Lanes.LE))
                    .add(o3.mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 112, Lanes.LE))).reinterpretAsInts();
            l0.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h0.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 96);
            l1.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h1.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 100);
        }
    }

    /**
     * Lane p of ggml's {@code _mm_madd_epi16(mins, q8s)}: m[2p] * q8s[2p] + m[2p+1] * q8s[2p+1], with the mins m as the
     * bytes of {@code mn} ({@link KScales#minsK4}) and q8s[k] = bsums[2k] +
     * bsums[2k+1] from {@code bsums} = bsums[4p .. 4p+3] (four int16, little-endian). {@link #minPair} on registers.
     */
    private static int minTerm(long mn, long bsums, int p) {
        int q0 = (short) bsums + (short) (bsums >>> 16), q1 = (short) (bsums >>> 32) + (short) (bsums >>> 48);
        return KScales.byteAt(mn, 2 * p) * q0 + KScales.byteAt(mn, 2 * p + 1) * q1;
    }

    /** Per-thread int lanes of {@link #dotSplit128}: per quarter, lanes 0..3 then 4..7. */
    private static final ThreadLocal<int[]> PART128 = ThreadLocal.withInitial(() -> new int[32]);

    /**
     * Quarter j of a superblock (32 quant bytes: sub-blocks 2j and 2j + 1) times the split activations, weighted by the two
     * sub-block scales: int lanes 0..3 (elements 0..15 of each sub-block) at {@code part[off ..]}, 4..7 at {@code part[off + 4 ..]}.
     */
    private void quarter128(long w, MemorySegment ys, long x, int j, int scA, int scB, int[] part, int off) {
        ShortVector q0 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 16 + 32L * j, Lanes.LE);
        ShortVector q1 = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 32 + 32L * j, Lanes.LE);
        long y = x + 64 + 128L * j;
        IntVector l0 = q0.and((short) 0xF).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y, Lanes.LE))
                .add(q0.lanewise(LSHR, 8).and((short) 0xF).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 32, Lanes.LE)))
                .reinterpretAsInts();
        IntVector h0 = q0.lanewise(LSHR, 4).and((short) 0xF).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 64, Lanes.LE))
                .add(q0.lanewise(LSHR, 12).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 96, Lanes.LE)))
                .reinterpretAsInts();
        IntVector l1 = q1.and((short) 0xF).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 16, Lanes.LE))
                .add(q1.lanewise(LSHR, 8).and((short) 0xF).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 48, Lanes.LE)))
                .reinterpretAsInts();
        IntVector h1 = q1.lanewise(LSHR, 4).and((short) 0xF).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 80, Lanes.LE))
                .add(q1.lanewise(LSHR, 12).mul(ShortVector.fromMemorySegment(Lanes.S16x8, ys, y + 112, Lanes.LE)))
                .reinterpretAsInts();
        l0.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h0.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off);
        l1.mul(0x10001).lanewise(ASHR, 16).mul(scA).add(h1.mul(0x10001).lanewise(ASHR, 16).mul(scB)).intoArray(part, off + 4);
    }

    /** m[2p]*q8s[2p] + m[2p+1]*q8s[2p+1] with q8s[k] = bsums[2k] + bsums[2k+1]: lane p of ggml's _mm_madd_epi16(mins, q8s). */
    static int minPair(MemorySegment w, long scales, MemorySegment xq, long bsums, int p) {
        int s0 = Bytes.i16(xq, bsums + 8L * p) + Bytes.i16(xq, bsums + 8L * p + 2);
        int s1 = Bytes.i16(xq, bsums + 8L * p + 4) + Bytes.i16(xq, bsums + 8L * p + 6);
        return KScales.minK4(w, scales, 2 * p) * s0 + KScales.minK4(w, scales, 2 * p + 1) * s1;
    }
}
