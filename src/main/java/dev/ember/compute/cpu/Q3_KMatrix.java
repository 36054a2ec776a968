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
 * Q3_K weights: superblocks of 256 as {uint8 hmask[32], uint8 qs[64], uint8 scales[12], fp16 d} (110 bytes); 16
 * sub-blocks of 16 with 6-bit signed scales (stored +32). Element 128h + 32c + l: low 2 bits (qs[32h + l] >> 2c) & 3,
 * high bit (hmask[l] >> (4h + c)) & 1; value = (d*scale) * (low - (high ? 0 : 4)). Activations Q8_K.
 */
public final class Q3_KMatrix extends WeightMatrix {
    Q3_KMatrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 110) {
            float dAll = Bytes.f16(data, w + 108);
            for (int e = 0; e < 256; e++) {
                int h = e >> 7, c = (e >> 5) & 3, l = e & 31;
                int low = (Bytes.u8(data, w + 32 + 32 * h + l) >> (2 * c)) & 3;
                int high = (Bytes.u8(data, w + l) >> (4 * h + c)) & 1;
                float dl = dAll * KScales.scaleQ3(data, w + 96, e >> 4);
                out[outOffset + 256 * b + e] = dl * (low - (high != 0 ? 0 : 4));
            }
        }
    }

    /** ggml_vec_dot_q3_K_q8_K, AVX2: scale-weighted lane sums of (low - 4*(1-high)) * q8; acc = fma(y.d*d, ., acc). */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q3_K(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 110, x += 292) {
            float d = Bytes.f32(xq, x) * Bytes.f16(data, w + 108);
            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int g = 0; g < 8; g++) {                 // 32-element group g = 4h + c, high bit = hmask bit g
                int h = g >> 2, c = g & 3;
                ShortVector hm = ShortVector.fromMemorySegment(Lanes.S16x16, data, w, Lanes.LE);
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 32 + 32 * h, Lanes.LE);
                ShortVector y = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 32 * g, Lanes.LE);
                ShortVector e = q.lanewise(LSHR, 2 * c).and((short) 3)
                        .add(hm.lanewise(LSHR, g).and((short) 1).lanewise(LSHL, 2)).sub((short) 4);
                ShortVector o = q.lanewise(LSHR, 8 + 2 * c).and((short) 3)
                        .add(hm.lanewise(LSHR, 8 + g).and((short) 1).lanewise(LSHL, 2)).sub((short) 4);
                IntVector pp = e.mul(y.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(o.mul(y.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector p = pp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pp.lanewise(ASHR, 16));
                IntVector scale = IntVector.broadcast(Lanes.I32x8, KScales.scaleQ3(data, w + 96, 2 * g))
                        .blend(KScales.scaleQ3(data, w + 96, 2 * g + 1), Lanes.UPPER_HALF);
                sumi = sumi.add(p.mul(scale));
            }
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }
}
