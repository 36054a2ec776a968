package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/**
 * Q5_0 weights: blocks of 32 as {fp16 d, uint8 qh[4], uint8 qs[16]} (22 bytes); element e = (nibble as Q4_0 | bit e of
 * qh << 4) - 16, value = d * element. Activations Q8_0.
 */
public final class Q5_0Matrix extends WeightMatrix {
    Q5_0Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 22) {
            float d = Bytes.f16(data, w);
            int qh = Bytes.i32(data, w + 2);
            int o = outOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Bytes.u8(data, w + 6 + j);
                out[o + j] = (((q & 0xF) | (((qh >>> j) & 1) << 4)) - 16) * d;
                out[o + j + 16] = (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
            }
        }
    }

    /** ggml_vec_dot_q5_0_q8_0, AVX2: as Q4_0 with the fifth bit merged into each element before the integer dot. */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q5_0(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        for (int b = 0; b < blocks; b++, w += 22, x += 34) {
            float d = Bytes.f16(data, w) * Bytes.f16(xq, x);
            int qh = Bytes.i32(data, w + 2);
            ShortVector qs = Lanes.load16x8(data, w + 6);
            ShortVector eLo = Lanes.evenBits(qs, 0, 0xF).add(Q5Bits.even(qh)).sub((short) 16);
            ShortVector oLo = Lanes.oddBits(qs, 0, 0xF).add(Q5Bits.odd(qh)).sub((short) 16);
            ShortVector eHi = Lanes.evenBits(qs, 4, 0xF).add(Q5Bits.even(qh >>> 16)).sub((short) 16);
            ShortVector oHi = Lanes.oddBits(qs, 4, 0xF).add(Q5Bits.odd(qh >>> 16)).sub((short) 16);
            lo = Lanes.toFloat(Lanes.dot4(eLo, oLo, Lanes.load16x8(xq, x + 2))).fma(FloatVector.broadcast(Lanes.F32x4, d), lo);
            hi = Lanes.toFloat(Lanes.dot4(eHi, oHi, Lanes.load16x8(xq, x + 18))).fma(FloatVector.broadcast(Lanes.F32x4, d), hi);
        }
        return Lanes.hsum8(lo, hi);
    }
}
