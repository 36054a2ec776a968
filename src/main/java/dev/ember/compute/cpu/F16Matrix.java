package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F16 weights ([rows, cols] binary16); activations are rounded to F16 too (ggml's vec_dot_type for F16). */
public final class F16Matrix extends WeightMatrix {
    F16Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.F16;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int i = 0; i < cols; i++) out[outOffset + i] = Bytes.f16(data, w + 2L * i);
    }

    /**
     * ggml_vec_dot_f16 on AVX2/F16C: halves widened to float (vcvtph2ps), four 8-lane FMA accumulators over 32-element
     * steps, GGML_F32x8_REDUCE into a double, leftovers added as double(float product), result rounded to float.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.f16(data, w, xq, xqOffset, cols);
        int np = cols & ~31;
        FloatVector s0 = FloatVector.zero(Lanes.F32x8), s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < np; i += 32) {
            long wi = w + 2L * i, xi = xqOffset + 2L * i;
            s0 = Lanes.loadHalf8(data, wi).fma(Lanes.loadHalf8(xq, xi), s0);
            s1 = Lanes.loadHalf8(data, wi + 16).fma(Lanes.loadHalf8(xq, xi + 16), s1);
            s2 = Lanes.loadHalf8(data, wi + 32).fma(Lanes.loadHalf8(xq, xi + 32), s2);
            s3 = Lanes.loadHalf8(data, wi + 48).fma(Lanes.loadHalf8(xq, xi + 48), s3);
        }
        double sum = Lanes.reduce4x8(s0, s1, s2, s3);
        for (int i = np; i < cols; i++) {
            sum += Bytes.f16(data, w + 2L * i) * Bytes.f16(xq, xqOffset + 2L * i);
        }
        return (float) sum;
    }
}
