package dev.ember.compute.cpu;

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

            IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, xq, x + 4 + 256, Lanes.LE);
            IntVector sc = (IntVector) Lanes.load16x8(data, w).convertShape(VectorOperators.S2I, Lanes.I32x8, 0);
            IntVector minEven = sc.lanewise(VectorOperators.LSHR, 4).and(0xF);
            IntVector minOdd = sc.lanewise(VectorOperators.LSHR, 12).and(0xF);
            IntVector prod = bsums.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).mul(minEven)
                    .add(bsums.lanewise(VectorOperators.ASHR, 16).mul(minOdd));
            acc = Lanes.toFloat(prod).fma(FloatVector.broadcast(Lanes.F32x8, dmin), acc);

            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int h = 0; h < 2; h++) {
                ShortVector q = Lanes.load16x16(data, w + 16 + 32 * h);
                long y = x + 4 + 128 * h;
                for (int c = 0; c < 4; c++) {
                    IntVector p = Lanes.dot4(Lanes.evenBits(q, 2 * c, 3), Lanes.oddBits(q, 2 * c, 3),
                            Lanes.load16x16(xq, y + 32 * c));
                    int s = 8 * h + 2 * c;
                    IntVector scale = IntVector.broadcast(Lanes.I32x8, Bytes.u8(data, w + s) & 0xF)
                            .blend(Bytes.u8(data, w + s + 1) & 0xF, Lanes.UPPER_HALF);
                    sumi = sumi.add(p.mul(scale));
                }
            }
            acc = Lanes.toFloat(sumi).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc);
    }
}
