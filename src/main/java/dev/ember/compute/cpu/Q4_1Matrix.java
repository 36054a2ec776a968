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
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q4_1 weights: blocks of 32 as {fp16 d, fp16 m, uint8 qs[16]} (20 bytes), nibbles as Q4_0 but unsigned, value = d*q + m.
 * Activations Q8_1, whose s = d * sum(qs) carries the min term.
 */
public final class Q4_1Matrix extends WeightMatrix {
    Q4_1Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_1;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 20) {
            float d = Bytes.f16(data, w), m = Bytes.f16(data, w + 2);
            int o = outOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(data, w + 4 + j);
                out[o + j] = (q & 0xF) * d + m;
                out[o + j + 16] = (q >> 4) * d + m;
            }
        }
    }

    /**
     * ggml_vec_dot_q4_1_q8_1, AVX2: acc = fma(dx*dy, lane sums, acc); summs += m*s (contracted to an fma by gcc's default
     * -ffp-contract=fast); result hsum_float_8(acc) + summs.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q4_1(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;   // ggml accumulator lanes 0..3 and 4..7
        float summs = 0;
        for (int b = 0; b < blocks; b++, w += 20, x += 36) {
            summs = Math.fma(Float.float16ToFloat(data.get(Bytes.I16, w + 2)), Float.float16ToFloat(xq.get(Bytes.I16, x + 2)), summs);
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * Float.float16ToFloat(xq.get(Bytes.I16, x));
            ShortVector qs = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 4, Lanes.LE);   // 32 nibbles
            ShortVector eLo = qs.and((short) 0xF), oLo = qs.lanewise(LSHR, 8).and((short) 0xF);
            ShortVector eHi = qs.lanewise(LSHR, 4).and((short) 0xF), oHi = qs.lanewise(LSHR, 12);
            ShortVector y0 = ShortVector.fromMemorySegment(Lanes.S16x8, xq, x + 4, Lanes.LE);        // elements 0..15
            ShortVector y1 = ShortVector.fromMemorySegment(Lanes.S16x8, xq, x + 20, Lanes.LE);        // elements 16..31
            IntVector p0 = eLo.mul(y0.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(oLo.mul(y0.lanewise(ASHR, 8))).reinterpretAsInts();
            IntVector p1 = eHi.mul(y1.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(oHi.mul(y1.lanewise(ASHR, 8))).reinterpretAsInts();
            IntVector s0 = p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16));
            IntVector s1 = p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16));
            FloatVector dv = FloatVector.broadcast(Lanes.F32x4, d);
            lo = ((FloatVector) s0.convert(I2F, 0)).fma(dv, lo);
            hi = ((FloatVector) s1.convert(I2F, 0)).fma(dv, hi);
        }
        return Lanes.hsum8(lo.lane(0), lo.lane(1), lo.lane(2), lo.lane(3), hi.lane(0), hi.lane(1), hi.lane(2), hi.lane(3)) + summs;
    }
}
