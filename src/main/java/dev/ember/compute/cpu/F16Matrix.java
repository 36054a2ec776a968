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
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.IntVector;

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
        for (int i = 0; i < np; i += 8) {
            FloatVector wv;
            {
                // binary16 -> float: rebias by multiplying with 2^112 (exact, also for subnormals); exponent 31 -> 255
                IntVector h = (IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 2L * i, Lanes.LE)
                        .convertShape(S2I, Lanes.I32x8, 0);
                IntVector abs = h.and(0x7fff);
                IntVector sh = abs.lanewise(LSHL, 13);
                IntVector mag = sh.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .blend(sh.or(0x7f800000), abs.compare(VectorOperators.GE, 0x7c00));
                wv = mag.or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            }
            FloatVector xv;
            {
                // binary16 -> float: rebias by multiplying with 2^112 (exact, also for subnormals); exponent 31 -> 255
                IntVector h = (IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, xq, xqOffset + 2L * i, Lanes.LE)
                        .convertShape(S2I, Lanes.I32x8, 0);
                IntVector abs = h.and(0x7fff);
                IntVector sh = abs.lanewise(LSHL, 13);
                IntVector mag = sh.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .blend(sh.or(0x7f800000), abs.compare(VectorOperators.GE, 0x7c00));
                xv = mag.or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            }
            // rotating s0..s3 makes step j of each 32-group land in accumulator j, as in ggml
            FloatVector t = wv.fma(xv, s0);
            s0 = s1;
            s1 = s2;
            s2 = s3;
            s3 = t;
        }
        FloatVector a = s0.add(s2).add(s1.add(s3));
        double sum = Lanes.reduce8(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7));
        for (int i = np; i < cols; i++) {
            sum += Bytes.f16(data, w + 2L * i) * Bytes.f16(xq, xqOffset + 2L * i);
        }
        return (float) sum;
    }
}
