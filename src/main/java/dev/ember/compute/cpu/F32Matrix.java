package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F32 weights ([rows, cols] floats); activations F32. */
public final class F32Matrix extends WeightMatrix {
    F32Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.F32;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        MemorySegment.copy(data, Bytes.F32, rowOffset(row), out, outOffset, cols);
    }

    /**
     * ggml_vec_dot_f32 on AVX2: four 8-lane FMA accumulators over 32-element steps, GGML_F32x8_REDUCE, then the leftover
     * elements one by one into the float sum. gcc (-std=gnu11/gnu++17 defaults to -ffp-contract=fast, -march=native has FMA)
     * contracts the leftover {@code sumf += x*y} into an fma, so it is an fma here too.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.f32(data, w, xq, xqOffset, cols);
        int np = cols & ~31;
        FloatVector s0 = FloatVector.zero(Lanes.F32x8), s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < np; i += 8) {
            // 8 floats per step; rotating s0..s3 makes step j of each 32-group land in accumulator j, as in ggml
            FloatVector t = FloatVector.fromMemorySegment(Lanes.F32x8, data, w + 4L * i, Lanes.LE)
                    .fma(FloatVector.fromMemorySegment(Lanes.F32x8, xq, xqOffset + 4L * i, Lanes.LE), s0);
            s0 = s1;
            s1 = s2;
            s2 = s3;
            s3 = t;
        }
        FloatVector a = s0.add(s2).add(s1.add(s3));
        float sum = Lanes.reduce8(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7));
        for (int i = np; i < cols; i++) {
            sum = Math.fma(Bytes.f32(data, w + 4L * i), Bytes.f32(xq, xqOffset + 4L * i), sum);
        }
        return sum;
    }
}
