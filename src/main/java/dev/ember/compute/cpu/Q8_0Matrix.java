package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/** Q8_0 weights: blocks of 32 as {fp16 d, int8 qs[32]} (34 bytes), value = d * q; activations Q8_0. */
public final class Q8_0Matrix extends WeightMatrix {
    Q8_0Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 34) {
            float d = Bytes.f16(data, w);
            for (int j = 0; j < 32; j++) out[outOffset + 32 * b + j] = Bytes.i8(data, w + 2 + j) * d;
        }
    }

    /** ggml_vec_dot_q8_0_q8_0, AVX2: acc = fma(dx*dy, float(lane sums), acc) per block, then hsum_float_8. */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q8_0(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 34, x += 34) {
            float d = Bytes.f16(data, w) * Bytes.f16(xq, x);
            ShortVector qw = Lanes.load16x16(data, w + 2);   // 32 int8 weights
            ShortVector qx = Lanes.load16x16(xq, x + 2);     // 32 int8 activations
            FloatVector q = Lanes.toFloat(Lanes.dot4(Lanes.evenI8(qw), Lanes.oddI8(qw), qx));
            acc = q.fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc);
    }
}
