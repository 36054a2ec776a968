package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q4_K weights: superblocks of 256 as {fp16 d, fp16 dmin, uint8 scales[12], uint8 qs[128]} (144 bytes): 8 sub-blocks of
 * 32 with 6-bit scale sc and min m; element 64j + l = qs[32j + l] & 15 (sub-block 2j), 64j + 32 + l = qs[32j + l] >> 4
 * (sub-block 2j+1); value = (d*sc)*q - dmin*m. Activations Q8_K.
 */
public final class Q4_KMatrix extends WeightMatrix {
    Q4_KMatrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 144) {
            float d = Bytes.f16(data, w), min = Bytes.f16(data, w + 2);
            int o = outOffset + 256 * b;
            for (int j = 0; j < 4; j++) {
                float d1 = d * KScales.scaleK4(data, w + 4, 2 * j), m1 = min * KScales.minK4(data, w + 4, 2 * j);
                float d2 = d * KScales.scaleK4(data, w + 4, 2 * j + 1), m2 = min * KScales.minK4(data, w + 4, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int q = Bytes.u8(data, w + 16 + 32 * j + l);
                    out[o + 64 * j + l] = d1 * (q & 0xF) - m1;
                    out[o + 64 * j + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /**
     * ggml_vec_dot_q4_K_q8_K, AVX2: per superblock, integer lane sums weighted by the sub-block scales, acc = fma(y.d*d,
     * float(sumi), acc); the mins go through Q8_K's bsums into a separate 4-lane accumulator acc_m = fma(-y.d*dmin,
     * m[2p]*s[2p] + m[2p+1]*s[2p+1], acc_m) with s[k] = bsums[2k] + bsums[2k+1]; result hsum_float_8(acc) +
     * ((acc_m0 + acc_m2) + (acc_m1 + acc_m3)).
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q4_K(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        float am0 = 0, am1 = 0, am2 = 0, am3 = 0;
        for (int b = 0; b < blocks; b++, w += 144, x += 292) {
            float yd = Bytes.f32(xq, x);
            float d = yd * Bytes.f16(data, w);
            float dmin = -yd * Bytes.f16(data, w + 2);
            long bs = x + 4 + 256;   // int16 bsums[16]
            am0 = Math.fma(dmin, (float) minPair(data, w + 4, xq, bs, 0), am0);
            am1 = Math.fma(dmin, (float) minPair(data, w + 4, xq, bs, 1), am1);
            am2 = Math.fma(dmin, (float) minPair(data, w + 4, xq, bs, 2), am2);
            am3 = Math.fma(dmin, (float) minPair(data, w + 4, xq, bs, 3), am3);

            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int j = 0; j < 4; j++) {
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 16 + 32 * j, Lanes.LE);
                ShortVector y0 = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 64 * j, Lanes.LE);
                ShortVector y1 = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 64 * j + 32, Lanes.LE);
                IntVector slp = q.and((short) 0xF).mul(y0.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(q.lanewise(LSHR, 8).and((short) 0xF).mul(y0.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector sl = slp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(slp.lanewise(ASHR, 16));
                IntVector shp = q.lanewise(LSHR, 4).and((short) 0xF).mul(y1.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(q.lanewise(LSHR, 12).mul(y1.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector sh = shp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(shp.lanewise(ASHR, 16));
                sumi = sumi.add(sl.mul(KScales.scaleK4(data, w + 4, 2 * j)))
                        .add(sh.mul(KScales.scaleK4(data, w + 4, 2 * j + 1)));
            }
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7)) + ((am0 + am2) + (am1 + am3));
    }

    /** m[2p]*q8s[2p] + m[2p+1]*q8s[2p+1] with q8s[k] = bsums[2k] + bsums[2k+1]: lane p of ggml's _mm_madd_epi16(mins, q8s). */
    static int minPair(MemorySegment w, long scales, MemorySegment xq, long bsums, int p) {
        int s0 = Bytes.i16(xq, bsums + 8L * p) + Bytes.i16(xq, bsums + 8L * p + 2);
        int s1 = Bytes.i16(xq, bsums + 8L * p + 4) + Bytes.i16(xq, bsums + 8L * p + 6);
        return KScales.minK4(w, scales, 2 * p) * s0 + KScales.minK4(w, scales, 2 * p + 1) * s1;
    }
}
