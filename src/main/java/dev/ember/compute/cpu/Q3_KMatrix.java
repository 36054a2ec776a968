package dev.ember.compute.cpu;

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
            ShortVector hm = Lanes.load16x16(data, w);
            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int h = 0; h < 2; h++) {
                ShortVector q = Lanes.load16x16(data, w + 32 + 32 * h);
                long y = x + 4 + 128 * h;
                for (int c = 0; c < 4; c++) {
                    int bit = 4 * h + c;
                    ShortVector e = Lanes.evenBits(q, 2 * c, 3)
                            .add(Lanes.evenBits(hm, bit, 1).lanewise(VectorOperators.LSHL, 2)).sub((short) 4);
                    ShortVector o = Lanes.oddBits(q, 2 * c, 3)
                            .add(Lanes.oddBits(hm, bit, 1).lanewise(VectorOperators.LSHL, 2)).sub((short) 4);
                    IntVector p = Lanes.dot4(e, o, Lanes.load16x16(xq, y + 32 * c));
                    int s = 8 * h + 2 * c;
                    IntVector scale = IntVector.broadcast(Lanes.I32x8, KScales.scaleQ3(data, w + 96, s))
                            .blend(KScales.scaleQ3(data, w + 96, s + 1), Lanes.UPPER_HALF);
                    sumi = sumi.add(p.mul(scale));
                }
            }
            acc = Lanes.toFloat(sumi).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc);
    }
}
