package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
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
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        float summs = 0;
        for (int b = 0; b < blocks; b++, w += 24, x += 36) {
            summs = Math.fma(Bytes.f16(data, w + 2), Bytes.f16(xq, x + 2), summs);
            float d = Bytes.f16(data, w) * Bytes.f16(xq, x);
            int qh = Bytes.i32(data, w + 4);
            ShortVector qs = Lanes.load16x8(data, w + 8);
            ShortVector eLo = Lanes.evenBits(qs, 0, 0xF).add(Q5Bits.even(qh));
            ShortVector oLo = Lanes.oddBits(qs, 0, 0xF).add(Q5Bits.odd(qh));
            ShortVector eHi = Lanes.evenBits(qs, 4, 0xF).add(Q5Bits.even(qh >>> 16));
            ShortVector oHi = Lanes.oddBits(qs, 4, 0xF).add(Q5Bits.odd(qh >>> 16));
            lo = Lanes.toFloat(Lanes.dot4(eLo, oLo, Lanes.load16x8(xq, x + 4))).fma(FloatVector.broadcast(Lanes.F32x4, d), lo);
            hi = Lanes.toFloat(Lanes.dot4(eHi, oHi, Lanes.load16x8(xq, x + 20))).fma(FloatVector.broadcast(Lanes.F32x4, d), hi);
        }
        return Lanes.hsum8(lo, hi) + summs;
    }
}
