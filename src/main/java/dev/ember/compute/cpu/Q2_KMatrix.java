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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K weights: superblocks of 256 as {uint8 scales[16], uint8 qs[64], fp16 d, fp16 dmin} (84 bytes); 16 sub-blocks of 16,
 * scales[s] = scale (low nibble) | min (high nibble). Element 128h + 32c + l = (qs[32h + l] >> 2c) & 3;
 * value = (d*scale)*q - dmin*min. Activations Q8_K.
 */
public final class Q2_KMatrix extends WeightMatrix {
    Q2_KMatrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 84) {
            float d = Bytes.f16(data, w + 80), min = Bytes.f16(data, w + 82);
            for (int e = 0; e < 256; e++) {
                int sc = Bytes.u8(data, w + (e >> 4));
                int q = (Bytes.u8(data, w + 16 + 32 * (e >> 7) + (e & 31)) >> (2 * ((e >> 5) & 3))) & 3;
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                out[outOffset + 256 * b + e] = dl * q - ml;
            }
        }
    }

    /**
     * ggml_vec_dot_q2_K_q8_K, AVX2: first acc = fma(-y.d*dmin, float(min[2k]*bsums[2k] + min[2k+1]*bsums[2k+1]), acc),
     * then acc = fma(y.d*d, float(scale-weighted lane sums), acc), both into the same 8 lanes; hsum_float_8.
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q2_K(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 84, x += 292) {
            float yd = Bytes.f32(xq, x);
            float d = yd * Bytes.f16(data, w + 80);
            float dmin = -yd * Bytes.f16(data, w + 82);

            // mins: lane k = min[2k]*bsums[2k] + min[2k+1]*bsums[2k+1], accumulated first into the same lanes
            IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, xq, x + 4 + 256, Lanes.LE);
            IntVector sc = (IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, data, w, Lanes.LE)
                    .convertShape(S2I, Lanes.I32x8, 0);
            IntVector prod = bsums.lanewise(LSHL, 16).lanewise(ASHR, 16).mul(sc.lanewise(LSHR, 4).and(0xF))
                    .add(bsums.lanewise(ASHR, 16).mul(sc.lanewise(LSHR, 12).and(0xF)));
            acc = ((FloatVector) prod.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, dmin), acc);

            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int g = 0; g < 8; g++) {                 // 32-element group g = 4h + c
                int h = g >> 2, c = g & 3;
                ShortVector q = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 16 + 32 * h, Lanes.LE);
                ShortVector y = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 32 * g, Lanes.LE);
                ShortVector e = q.lanewise(LSHR, 2 * c).and((short) 3), o = q.lanewise(LSHR, 8 + 2 * c).and((short) 3);
                IntVector pp = e.mul(y.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(o.mul(y.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector p = pp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pp.lanewise(ASHR, 16));
                IntVector scale = IntVector.broadcast(Lanes.I32x8, Bytes.u8(data, w + 2 * g) & 0xF)
                        .blend(Bytes.u8(data, w + 2 * g + 1) & 0xF, Lanes.UPPER_HALF);
                sumi = sumi.add(p.mul(scale));
            }
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }
}
