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
 * Q5_1 weights: blocks of 32 as {fp16 d, fp16 m, uint8 qh[4], uint8 qs[16]} (24 bytes); element as Q5_0 without the -16,
 * value = d * element + m. Activations Q8_1.
 */
public final class Q5_1Matrix extends WeightMatrix {
    Q5_1Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_1;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 24) {
            float d = Bytes.f16(data, w), m = Bytes.f16(data, w + 2);
            int qh = Bytes.i32(data, w + 4);
            int o = outOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(data, w + 8 + j);
                out[o + j] = ((q & 0xF) | (((qh >>> j) & 1) << 4)) * d + m;
                out[o + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
            }
        }
    }

    /**
     * ggml_vec_dot_q5_1_q8_1, AVX2: acc = fma(lane sums, dx*dy, acc); summs += m*s (an fma under gcc's default
     * contraction); result hsum_float_8(acc) + summs.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q5_1(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;   // ggml accumulator lanes 0..3 and 4..7
        float summs = 0;
        for (int b = 0; b < blocks; b++, w += 24, x += 36) {
            summs = Math.fma(Float.float16ToFloat(data.get(Bytes.I16, w + 2)), Float.float16ToFloat(xq.get(Bytes.I16, x + 2)), summs);
            float d = Float.float16ToFloat(data.get(Bytes.I16, w)) * Float.float16ToFloat(xq.get(Bytes.I16, x));
            ShortVector qs = ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 8, Lanes.LE);   // 32 nibbles
            ShortVector eLo = qs.and((short) 0xF), oLo = qs.lanewise(LSHR, 8).and((short) 0xF);
            ShortVector eHi = qs.lanewise(LSHR, 4).and((short) 0xF), oHi = qs.lanewise(LSHR, 12);
            int qh = Bytes.i32(data, w + 4);
            // fifth bit of element e is bit e of qh: 16 where set (constant single-bit masks; AVX2 has no 16-bit variable shift)
            eLo = eLo.add(((ShortVector) ShortVector.broadcast(Lanes.S16x8, (short) (qh)).and(Q5Bits.EVEN)
                    .compare(VectorOperators.NE, (short) 0).toVector()).and((short) 16));
            oLo = oLo.add(((ShortVector) ShortVector.broadcast(Lanes.S16x8, (short) (qh)).and(Q5Bits.ODD)
                    .compare(VectorOperators.NE, (short) 0).toVector()).and((short) 16));
            eHi = eHi.add(((ShortVector) ShortVector.broadcast(Lanes.S16x8, (short) (qh >>> 16)).and(Q5Bits.EVEN)
                    .compare(VectorOperators.NE, (short) 0).toVector()).and((short) 16));
            oHi = oHi.add(((ShortVector) ShortVector.broadcast(Lanes.S16x8, (short) (qh >>> 16)).and(Q5Bits.ODD)
                    .compare(VectorOperators.NE, (short) 0).toVector()).and((short) 16));
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
