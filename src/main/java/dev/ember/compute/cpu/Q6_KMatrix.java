package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K weights: superblocks of 256 as {uint8 ql[128], uint8 qh[64], int8 scales[16], fp16 d} (210 bytes). Element
 * 128h + 32c + l (c = 0..3): low 4 bits from ql[64h + 32(c&1) + l] (low nibble for c < 2, high for c >= 2), high 2 bits
 * (qh[32h + l] >> 2c) & 3; value = (d * scale[element/16]) * (q - 32). Activations Q8_K.
 */
public final class Q6_KMatrix extends WeightMatrix {
    Q6_KMatrix(GgufTensor t) {
        super(t);
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOffset) {
        long w = rowOffset(row);
        for (int b = 0; b < blocks; b++, w += 210) {
            float d = Bytes.f16(data, w + 208);
            for (int h = 0; h < 2; h++) {
                long ql = w + 64 * h, qh = w + 128 + 32 * h, sc = w + 192 + 8 * h;
                int o = outOffset + 256 * b + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = Bytes.u8(data, ql + l), c = Bytes.u8(data, ql + l + 32), hb = Bytes.u8(data, qh + l);
                    int q1 = ((a & 0xF) | ((hb & 3) << 4)) - 32;
                    int q2 = ((c & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
                    int q3 = ((a >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                    int q4 = ((c >> 4) | (((hb >> 6) & 3) << 4)) - 32;
                    out[o + l] = d * Bytes.i8(data, sc + is) * q1;
                    out[o + l + 32] = d * Bytes.i8(data, sc + is + 2) * q2;
                    out[o + l + 64] = d * Bytes.i8(data, sc + is + 4) * q3;
                    out[o + l + 96] = d * Bytes.i8(data, sc + is + 6) * q4;
                }
            }
        }
    }

    /**
     * Writes weight row {@code row} for {@link Q6_KLaneGemm}, {@code [blocks, 336]} at {@code dst[dstOffset ..]}: per
     * superblock, group g (0..7) lane k position m at float 32g + 8m + k holds sc[2g + (k ≥ 4)] · (q[32g + 4k + m] - 32)
     * (the {@link Q8_KLanes} lane order, exact integers, |.| ≤ 128 · 32); float 256 + 8g + k holds sc[2g + (k ≥ 4)];
     * floats 320 + k and 328 + k hold sc[2k] and sc[2k + 1]. {@code scale[scaleOffset + b]} = d.
     */
    void unpackLanes(int row, float[] dst, int dstOffset, float[] scale, int scaleOffset) {
        long w = rowOffset(row);
        for (int b = 0, o = dstOffset; b < blocks; b++, w += 210, o += Q8_KLanes.Q6_K_FLOATS) {
            scale[scaleOffset + b] = Float.float16ToFloat(data.get(Bytes.I16, w + 208));
            for (int g = 0; g < 8; g++) {
                int h = g >> 2, c = g & 3, nib = (c >> 1) * 4;
                int scLo = data.get(ValueLayout.JAVA_BYTE, w + 192 + 2 * g), scHi = data.get(ValueLayout.JAVA_BYTE, w + 193 + 2 * g);
                IntVector sc = IntVector.broadcast(Lanes.I32x8, scLo).blend(scHi, Lanes.UPPER_HALF);
                // int k = bytes 4k..4k+3 = elements 4k..4k+3 of the group
                IntVector ql = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 64 * h + 32 * (c & 1), Lanes.LE);
                IntVector qh = IntVector.fromMemorySegment(Lanes.I32x8, data, w + 128 + 32 * h, Lanes.LE);
                int go = o + 32 * g;
                ((FloatVector) ql.lanewise(LSHR, nib).and(0xF).or(qh.lanewise(LSHR, 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go);
                ((FloatVector) ql.lanewise(LSHR, 8 + nib).and(0xF).or(qh.lanewise(LSHR, 8 + 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go + 8);
                ((FloatVector) ql.lanewise(LSHR, 16 + nib).and(0xF).or(qh.lanewise(LSHR, 16 + 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go + 16);
                ((FloatVector) ql.lanewise(LSHR, 24 + nib).and(0xF).or(qh.lanewise(LSHR, 24 + 2 * c).and(3).lanewise(LSHL, 4))
                        .sub(32).mul(sc).convert(I2F, 0)).intoArray(dst, go + 24);
                for (int k = 0; k < 8; k++) dst[o + 256 + 8 * g + k] = k < 4 ? scLo : scHi;
            }
            for (int k = 0; k < 8; k++) {
                dst[o + 320 + k] = data.get(ValueLayout.JAVA_BYTE, w + 192 + 2 * k);
                dst[o + 328 + k] = data.get(ValueLayout.JAVA_BYTE, w + 193 + 2 * k);
            }
        }
    }

    /**
     * ggml_vec_dot_q6_K_q8_K, AVX2: lane sums of the unsigned 6-bit values (0..63) times the per-16 scales, then the -32
     * offset is removed per lane as 32 * (bsums[2k]*sc[2k] + bsums[2k+1]*sc[2k+1]) (q8sclsub), which spreads the integer
     * total over the lanes differently from subtracting 32 per element; acc = fma(y.d*d, float(sumi), acc).
     */
    @Override
    public float dot(int row, MemorySegment xq, long xqOffset) {
        long w = rowOffset(row);
        if (!Lanes.ENABLED) return ReferenceDot.q6_K(data, w, xq, xqOffset, cols);
        long x = xqOffset;
        FloatVector acc = FloatVector.zero(Lanes.F32x8);
        for (int b = 0; b < blocks; b++, w += 210, x += 292) {
            float d = xq.get(Bytes.F32, x) * Float.float16ToFloat(data.get(Bytes.I16, w + 208));
            IntVector sumi = IntVector.zero(Lanes.I32x8);
            for (int g = 0; g < 8; g++) {                 // 32-element group g = 4h + c
                int h = g >> 2, c = g & 3;
                ShortVector ql = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 64 * h + 32 * (c & 1), Lanes.LE);
                ShortVector qh = ShortVector.fromMemorySegment(Lanes.S16x16, data, w + 128 + 32 * h, Lanes.LE);
                ShortVector y = ShortVector.fromMemorySegment(Lanes.S16x16, xq, x + 4 + 32 * g, Lanes.LE);
                int nib = (c >> 1) * 4;                        // low nibble for c < 2, high for c >= 2
                ShortVector e = ql.lanewise(LSHR, nib).and((short) 0xF)
                        .or(qh.lanewise(LSHR, 2 * c).and((short) 3).lanewise(LSHL, 4));
                ShortVector o = ql.lanewise(LSHR, 8 + nib).and((short) 0xF)
                        .or(qh.lanewise(LSHR, 8 + 2 * c).and((short) 3).lanewise(LSHL, 4));
                IntVector pp = e.mul(y.lanewise(LSHL, 8).lanewise(ASHR, 8)).add(o.mul(y.lanewise(ASHR, 8))).reinterpretAsInts();
                IntVector p = pp.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pp.lanewise(ASHR, 16));
                // elements 0..15 of the group (lanes 0..3) use scale 2g, 16..31 (lanes 4..7) scale 2g+1
                IntVector scale = IntVector.broadcast(Lanes.I32x8, data.get(ValueLayout.JAVA_BYTE, w + 192 + 2 * g))
                        .blend(data.get(ValueLayout.JAVA_BYTE, w + 192 + 2 * g + 1), Lanes.UPPER_HALF);
                sumi = sumi.add(p.mul(scale));
            }
            // q8sclsub: lane k = 32 * (bsums[2k]*sc[2k] + bsums[2k+1]*sc[2k+1])
            IntVector bsums = IntVector.fromMemorySegment(Lanes.I32x8, xq, x + 4 + 256, Lanes.LE);
            IntVector scales = (IntVector) ShortVector.fromMemorySegment(Lanes.S16x8, data, w + 192, Lanes.LE)
                    .convertShape(S2I, Lanes.I32x8, 0);
            IntVector bEven = bsums.lanewise(LSHL, 16).lanewise(ASHR, 16), bOdd = bsums.lanewise(ASHR, 16);
            IntVector sEven = scales.lanewise(LSHL, 24).lanewise(ASHR, 24), sOdd = scales.lanewise(LSHL, 16).lanewise(ASHR, 24);
            sumi = sumi.sub(bEven.mul(sEven).add(bOdd.mul(sOdd)).lanewise(LSHL, 5));
            acc = ((FloatVector) sumi.convert(I2F, 0)).fma(FloatVector.broadcast(Lanes.F32x8, d), acc);
        }
        return Lanes.hsum8(acc.lane(0), acc.lane(1), acc.lane(2), acc.lane(3), acc.lane(4), acc.lane(5), acc.lane(6), acc.lane(7));
    }
}
