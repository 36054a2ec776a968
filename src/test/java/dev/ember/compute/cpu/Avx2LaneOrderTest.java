package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * dot() reproduces ggml's AVX2 float summation bit for bit. Each check is a scalar emulation, written here from the AVX2
 * kernels' description (8 float lanes, lane k holding elements 4k..4k+3 of each 32-group, fma per block, hsum_float_8 or
 * GGML_F32x8_REDUCE), so it is independent of the Vector API code.
 */
class Avx2LaneOrderTest {
    private static final Random RND = new Random(7);

    static float hsum8(float[] a) {
        float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
        return (r0 + r2) + (r1 + r3);
    }

    static ByteBuffer bb(MemorySegment s) {
        return s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer bb(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void q8_0DotFollowsAvx2LaneOrderExactly() {
        int cols = 32 * 29;
        byte[] w = Blocks.random(GgmlType.Q8_0, 1, cols, RND);
        float[] xf = Blocks.activations(cols, RND);
        MemorySegment xq = Blocks.quantize(GgmlType.Q8_0, xf);
        ByteBuffer W = bb(w), X = bb(xq);
        float[] acc = new float[8];
        for (int b = 0; b < cols / 32; b++) {
            float d = Float.float16ToFloat(W.getShort(34 * b)) * Float.float16ToFloat(X.getShort(34 * b));
            for (int k = 0; k < 8; k++) {
                int s = 0;
                for (int e = 4 * k; e < 4 * k + 4; e++) s += W.get(34 * b + 2 + e) * X.get(34 * b + 2 + e);
                acc[k] = Math.fma(d, (float) s, acc[k]);
            }
        }
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q8_0, 1, cols, w));
        assertEquals(Float.floatToIntBits(hsum8(acc)), Float.floatToIntBits(m.dot(0, xq, 0)));
    }

    @Test
    void q4_0DotFollowsAvx2LaneOrderExactly() {
        int cols = 32 * 31;
        byte[] w = Blocks.random(GgmlType.Q4_0, 1, cols, RND);
        MemorySegment xq = Blocks.quantize(GgmlType.Q8_0, Blocks.activations(cols, RND));
        ByteBuffer W = bb(w), X = bb(xq);
        float[] acc = new float[8];
        for (int b = 0; b < cols / 32; b++) {
            float d = Float.float16ToFloat(W.getShort(18 * b)) * Float.float16ToFloat(X.getShort(34 * b));
            for (int k = 0; k < 8; k++) {
                int s = 0;
                for (int e = 4 * k; e < 4 * k + 4; e++) {
                    int byteVal = W.get(18 * b + 2 + e % 16) & 0xFF;
                    int q = (e < 16 ? byteVal & 15 : byteVal >> 4) - 8;
                    s += q * X.get(34 * b + 2 + e);
                }
                acc[k] = Math.fma(d, (float) s, acc[k]);
            }
        }
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q4_0, 1, cols, w));
        assertEquals(Float.floatToIntBits(hsum8(acc)), Float.floatToIntBits(m.dot(0, xq, 0)));
    }

    @Test
    void f32AndF16DotsFollowGgmlReduceOrderExactly() {
        int cols = 32 * 9 + 13;
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16}) {
            byte[] w = Blocks.random(t, 1, cols, RND);
            float[] xf = Blocks.activations(cols, RND);
            MemorySegment xq = Blocks.quantize(t, xf);
            WeightMatrix m = WeightMatrix.of(Blocks.tensor(t, 1, cols, w));
            float[] wd = new float[cols];
            m.dequantizeRow(0, wd, 0);
            float[] xd = Blocks.dequantActivations(t, xq, cols);
            float[][] s = new float[4][8];
            int np = cols & ~31;
            for (int i = 0; i < np; i += 32) {
                for (int j = 0; j < 4; j++) {
                    for (int k = 0; k < 8; k++) s[j][k] = Math.fma(wd[i + 8 * j + k], xd[i + 8 * j + k], s[j][k]);
                }
            }
            float[] a = new float[8];
            for (int k = 0; k < 8; k++) a[k] = (s[0][k] + s[2][k]) + (s[1][k] + s[3][k]);
            float t0 = a[0] + a[4], t1 = a[1] + a[5], t2 = a[2] + a[6], t3 = a[3] + a[7];
            float red = (t0 + t1) + (t2 + t3);
            float expected;
            if (t == GgmlType.F32) {
                float sum = red;
                for (int i = np; i < cols; i++) sum = Math.fma(wd[i], xd[i], sum);
                expected = sum;
            } else {
                double sum = red;
                for (int i = np; i < cols; i++) sum += wd[i] * xd[i];
                expected = (float) sum;
            }
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(m.dot(0, xq, 0)), t.toString());
        }
    }

    @Test
    void q4_KDotFollowsAvx2LaneOrderExactly() {
        int cols = 256 * 6;
        byte[] w = Blocks.random(GgmlType.Q4_K, 1, cols, RND);
        MemorySegment xq = Blocks.quantize(GgmlType.Q8_K, Blocks.activations(cols, RND));
        ByteBuffer X = bb(xq);
        float[] acc = new float[8];
        float[] accM = new float[4];
        for (int b = 0; b < cols / 256; b++) {
            int o = 144 * b, xo = 292 * b;
            float yd = X.getFloat(xo);
            float d = yd * SpecDecode.h(w, o), dmin = -yd * SpecDecode.h(w, o + 2);
            int[] q8s = new int[8];
            for (int s = 0; s < 8; s++) q8s[s] = X.getShort(xo + 260 + 4 * s) + X.getShort(xo + 262 + 4 * s);
            for (int p = 0; p < 4; p++) {
                int prod = SpecDecode.k4(w, o + 4, 2 * p, true) * q8s[2 * p]
                        + SpecDecode.k4(w, o + 4, 2 * p + 1, true) * q8s[2 * p + 1];
                accM[p] = Math.fma(dmin, (float) prod, accM[p]);
            }
            int[] lane = new int[8];
            for (int e = 0; e < 256; e++) {
                int s = e / 32;
                int byteVal = w[o + 16 + 32 * (s / 2) + e % 32] & 0xFF;
                int q = s % 2 == 0 ? byteVal & 15 : byteVal >> 4;
                lane[(e % 32) / 4] += SpecDecode.k4(w, o + 4, s, false) * q * X.get(xo + 4 + e);
            }
            for (int k = 0; k < 8; k++) acc[k] = Math.fma(d, (float) lane[k], acc[k]);
        }
        float expected = hsum8(acc) + ((accM[0] + accM[2]) + (accM[1] + accM[3]));
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q4_K, 1, cols, w));
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(m.dot(0, xq, 0)));
    }

    @Test
    void q6_KDotFollowsAvx2LaneOrderExactly() {
        int cols = 256 * 6;
        byte[] w = Blocks.random(GgmlType.Q6_K, 1, cols, RND);
        assertQ6_KDotFollowsAvx2(w, Blocks.activations(cols, RND), cols);
    }

    /**
     * The largest lane sums the 16-bit lanes of the Q6_K kernel meet: every 6-bit quant 63 and every activation quant
     * -127 (a constant negative row; Q8_K quants stay in [-127, 127]), so a pair of products is 2 * 63 * -127 and an int
     * lane of four is -32004, just inside int16.
     */
    @Test
    void q6_KDotIsExactAtExtremeValues() {
        int cols = 256 * 3;
        byte[] w = new byte[210 * (cols / 256)];
        java.util.Arrays.fill(w, (byte) 0xFF);
        for (int b = 0; b < cols / 256; b++) {
            for (int j = 0; j < 16; j++) w[210 * b + 192 + j] = (byte) (j % 3 == 0 ? -128 : 127 - j);
            w[210 * b + 208] = 0x00;   // d = fp16 0x1400
            w[210 * b + 209] = 0x14;
        }
        float[] x = new float[cols];
        java.util.Arrays.fill(x, -1.5f);
        assertEquals(-127, Blocks.quantize(GgmlType.Q8_K, x).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 4),
                "the activations quantize to -127");
        assertQ6_KDotFollowsAvx2(w, x, cols);
    }

    private static void assertQ6_KDotFollowsAvx2(byte[] w, float[] x, int cols) {
        MemorySegment xq = Blocks.quantize(GgmlType.Q8_K, x);
        ByteBuffer X = bb(xq);
        float[] acc = new float[8];
        for (int b = 0; b < cols / 256; b++) {
            int o = 210 * b, xo = 292 * b;
            float d = X.getFloat(xo) * SpecDecode.h(w, o + 208);
            int[] lane = new int[8];
            for (int e = 0; e < 256; e++) {
                // unsigned 6-bit value: the Spec value / scale / d + 32, recomputed from the layout
                int half = e / 128, c = (e % 128) / 32, l = e % 32;
                int lq = w[o + 64 * half + 32 * (c % 2) + l] & 0xFF;
                int q = (c < 2 ? lq & 15 : lq >> 4) | (((w[o + 128 + 32 * half + l] & 0xFF) >> (2 * c)) & 3) << 4;
                lane[(e % 32) / 4] += w[o + 192 + e / 16] * q * X.get(xo + 4 + e);
            }
            for (int k = 0; k < 8; k++) {
                int sub = X.getShort(xo + 260 + 4 * k) * w[o + 192 + 2 * k]
                        + X.getShort(xo + 262 + 4 * k) * w[o + 192 + 2 * k + 1];
                acc[k] = Math.fma(d, (float) (lane[k] - 32 * sub), acc[k]);
            }
        }
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(GgmlType.Q6_K, 1, cols, w));
        assertEquals(Float.floatToIntBits(hsum8(acc)), Float.floatToIntBits(m.dot(0, xq, 0)));
        // the one-row matmul (split once, then dotSplit on the pool) gives the same bits
        try (WorkerPool pool = new WorkerPool(2)) {
            float[] out = new float[1];
            new Matmul(pool).apply(m, x, 0, 1, out, 0);
            assertEquals(Float.floatToIntBits(hsum8(acc)), Float.floatToIntBits(out[0]));
        }
    }
}
