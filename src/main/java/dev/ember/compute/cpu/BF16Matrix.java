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
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.IntVector;

/** BF16 weights ([rows, cols] bfloat16); activations BF16 (ggml's vec_dot_type for BF16). */
public final class BF16Matrix extends WeightMatrix {
    BF16Matrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.BF16;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int i = 0; i < cols; i++) out[outOffset + i] = Half.bf16ToFloat(Bytes.i16(data, w + 2L * i));
    }

    /**
     * ggml_vec_dot_bf16, AVX2 branch: four 8-lane accumulators c1..c4 over 32-element steps, c = x*y + c (written as
     * mul+add intrinsics; gcc contracts them to FMA under its default -ffp-contract=fast, so FMA here), reduced as
     * (c1+c3)+(c2+c4) then hsum_float_8 into a double; leftovers as double(float product).
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.bf16(data, w, xq, xqOffset, cols);
        int np = cols & ~31;
        FloatVector c1 = FloatVector.zero(Lanes.F32x8), c2 = c1, c3 = c1, c4 = c1;
        for (int i = 0; i < np; i += 8) {
            FloatVector wv = ((IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 2L * i, Lanes.LE)
                    .convertShape(S2I, Lanes.I32x8, 0)).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector xv = ((IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, xq, xqOffset + 2L * i, Lanes.LE)
                    .convertShape(S2I, Lanes.I32x8, 0)).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector t = wv.fma(xv, c1);   // rotation: step j of each 32-group goes to accumulator j
            c1 = c2;
            c2 = c3;
            c3 = c4;
            c4 = t;
        }
        FloatVector a = c1.add(c3).add(c2.add(c4));
        double sum = Lanes.hsum8(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7));
        for (int i = np; i < cols; i++) {
            sum += Half.bf16ToFloat(Bytes.i16(data, w + 2L * i)) * Half.bf16ToFloat(Bytes.i16(xq, xqOffset + 2L * i));
        }
        return (float) sum;
    }
}
