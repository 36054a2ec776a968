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
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K weights: superblocks of 256 as {fp16 d, fp16 dmin, uint8 scales[12], uint8 qh[32], uint8 qs[128]} (176 bytes):
 * as Q4_K, plus a fifth bit for element (sub-block s, index l) in bit s of qh[l]; value = (d*sc)*q - dmin*m.
 * Activations Q8_K.
 */
public final class Q5_KMatrix extends WeightMatrix {
    Q5_KMatrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 176) {
            float d = Bytes.f16(data, w), min = Bytes.f16(data, w + 2);
            int o = outOffset + 256 * b;
            for (int j = 0; j < 4; j++) {
                float d1 = d * KScales.scaleK4(data, w + 4, 2 * j), m1 = min * KScales.minK4(data, w + 4, 2 * j);
                float d2 = d * KScales.scaleK4(data, w + 4, 2 * j + 1), m2 = min * KScales.minK4(data, w + 4, 2 * j + 1);
                for (int l = 0; l < 32; l++) {
                    int q = Bytes.u8(data, w + 48 + 32 * j + l);
                    int h = Bytes.u8(data, w + 16 + l);
                    out[o + 64 * j + l] = d1 * ((q & 0xF) + (((h >> (2 * j)) & 1) << 4)) - m1;
                    out[o + 64 * j + 32 + l] = d2 * ((q >> 4) + (((h >> (2 * j + 1)) & 1) << 4)) - m2;
                }
            }
        }
    }

    /**
     * ggml_vec_dot_q5_K_q8_K, AVX2: scale-weighted integer lane sums, acc = fma(y.d*d, float(sumi), acc); the min term is
     * one integer per superblock (all eight m*bsum32 products summed) folded into a scalar: summs += (-y.d*dmin) * that
     * (an fma under gcc's default contraction); result hsum_float_8(acc) + summs.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q5_K(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        float summs = 0;
        for (int b = 0; b < blocks; b++, w += 176, x += 292) {
            float yd = xq.get(Bytes.F32, x);
            float d = yd * Float.float16ToFloat(data.get(Bytes.I16, w));
            float dmin = -yd * Float.float16ToFloat(data.get(Bytes.I16, w + 2));
            long bs = x + 4 + 256;
            int mins = Q4_KMatrix.minPair(data, w + 4, xq, bs, 0) + Q4_KMatrix.minPair(data, w + 4, xq, bs, 1)
                    + Q4_KMatrix.minPair(data, w + 4, xq, bs, 2) + Q4_KMatrix.minPair(data, w + 4, xq, bs, 3);
            summs = Math.fma(dmin, (float) mins, summs);

            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int j = 0; j < 4; j++) {
                ShortVector qh = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 16, Lanes.LE);   // fifth bits
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 48 + 32 * j, Lanes.LE);
                ShortVector y0 = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 64 * j, Lanes.LE);
                ShortVector y1 = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 64 * j + 32, Lanes.LE);
                int b0 = 2 * j, b1 = 2 * j + 1;   // qh bit of sub-blocks 2j and 2j+1
                ShortVector e0 = q.and((short) 0xF).or(qh.lanewise(LSHR, b0).and((short) 1).lanewise(LSHL, 4));
                ShortVector o0 = q.lanewise(LSHR, 8).and((short) 0xF).or(qh.lanewise(LSHR, 8 + b0).and((short) 1).lanewise(LSHL, 4));
                ShortVector e1 = q.lanewise(LSHR, 4).and((short) 0xF).or(qh.lanewise(LSHR, b1).and((short) 1).lanewise(LSHL, 4));
                ShortVector o1 = q.lanewise(LSHR, 12).or(qh.lanewise(LSHR, 8 + b1).and((short) 1).lanewise(LSHL, 4));
                IntVector s0p = e0.mul(y0.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(o0.mul(y0.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector s0 = s0p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(s0p.lanewise(ASHR, 16));
                IntVector s1p = e1.mul(y1.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(o1.mul(y1.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector s1 = s1p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(s1p.lanewise(ASHR, 16));
                sumi = sumi.add(s0.mul(KScales.scaleK4(data, w + 4, 2 * j)))
                        .add(s1.mul(KScales.scaleK4(data, w + 4, 2 * j + 1)));
            }
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7)) + summs;
    }
}
