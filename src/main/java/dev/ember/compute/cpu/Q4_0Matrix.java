package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
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
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        for (int b = 0; b < blocks; b++, w += 18, x += 34) {
            float d = Bytes.f16(data, w) * Bytes.f16(xq, x);
            ShortVector qs = Lanes.load16x8(data, w + 2);    // 16 bytes = 32 nibbles
            ShortVector eLo = Lanes.evenBits(qs, 0, 0xF).sub((short) 8), oLo = Lanes.oddBits(qs, 0, 0xF).sub((short) 8);
            ShortVector eHi = Lanes.evenBits(qs, 4, 0xF).sub((short) 8), oHi = Lanes.oddBits(qs, 4, 0xF).sub((short) 8);
            FloatVector sLo = Lanes.toFloat(Lanes.dot4(eLo, oLo, Lanes.load16x8(xq, x + 2)));
            FloatVector sHi = Lanes.toFloat(Lanes.dot4(eHi, oHi, Lanes.load16x8(xq, x + 18)));
            lo = sLo.fma(FloatVector.broadcast(Lanes.F32x4, d), lo);
            hi = sHi.fma(FloatVector.broadcast(Lanes.F32x4, d), hi);
        }
        return Lanes.hsum8(lo, hi);
    }
}
