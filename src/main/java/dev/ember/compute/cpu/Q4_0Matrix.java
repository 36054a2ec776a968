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
 * Q4_0 weights: blocks of 32 as {fp16 d, uint8 qs[16]} (18 bytes); element j = (qs[j] & 15) - 8, element j + 16 =
 * (qs[j] >> 4) - 8, value = d * element. Activations Q8_0.
 */
public final class Q4_0Matrix extends WeightMatrix {
    Q4_0Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 18) {
            float d = Bytes.f16(data, w);
            int o = outOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(data, w + 2 + j);
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    /**
     * ggml_vec_dot_q4_0_q8_0, AVX2. The 8 accumulator lanes are kept as two 4-lane halves: lanes 0..3 cover elements 0..15
     * (low nibbles), lanes 4..7 elements 16..31 (high nibbles), as bytes_from_nibbles_32 lays them out.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q4_0(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;   // ggml accumulator lanes 0..3 and 4..7
        for (int b = 0; b < blocks; b++, w += 18, x += 34) {
            float d = Bytes.f16(data, w) * Bytes.f16(xq, x);
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
}
