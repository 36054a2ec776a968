package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
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
        FloatVector lo = FloatVector.zero(Lanes.F32x4), hi = lo;
        float summs = 0;
        for (int b = 0; b < blocks; b++, w += 20, x += 36) {
            summs = Math.fma(Bytes.f16(data, w + 2), Bytes.f16(xq, x + 2), summs);
            float d = Bytes.f16(data, w) * Bytes.f16(xq, x);
            ShortVector qs = Lanes.load16x8(data, w + 4);
            FloatVector sLo = Lanes.toFloat(Lanes.dot4(Lanes.evenBits(qs, 0, 0xF), Lanes.oddBits(qs, 0, 0xF),
                    Lanes.load16x8(xq, x + 4)));
            FloatVector sHi = Lanes.toFloat(Lanes.dot4(Lanes.evenBits(qs, 4, 0xF), Lanes.oddBits(qs, 4, 0xF),
                    Lanes.load16x8(xq, x + 20)));
            lo = sLo.fma(FloatVector.broadcast(Lanes.F32x4, d), lo);
            hi = sHi.fma(FloatVector.broadcast(Lanes.F32x4, d), hi);
        }
        return Lanes.hsum8(lo, hi) + summs;
    }
}
