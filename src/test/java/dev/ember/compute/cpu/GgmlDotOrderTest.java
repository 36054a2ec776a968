package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vectorized attention products keep ggml_vec_dot_f32's summation order bit for bit: Q·K (four 8-lane accumulators,
 * element i in lane i mod 32) and P·V (per output dimension, position t in lane t mod 32), checked against the plain
 * scalar loops of that order for head sizes with and without 8- and 32-element tails (Q·K reduced in registers, P·V's
 * outputs reduced a vector of dimensions at a time); Q·K's 128-bit form as well.
 */
class GgmlDotOrderTest {

    private static float scalarDot(float[] x, int xo, float[] y, int yo, int n) {
        float[] acc = new float[32];
        int np = n & ~31;
        float sum = 0f;
        if (np > 0) {
            for (int i = 0; i < np; i++) acc[i & 31] = Math.fma(x[xo + i], y[yo + i], acc[i & 31]);
            sum = GgmlDot.reduce32(acc, 0);
        }
        for (int i = np; i < n; i++) sum = Math.fma(x[xo + i], y[yo + i], sum);
        return sum;
    }

    @Test
    void qkDotMatchesScalarOrder() {
        Random r = new Random(5);
        for (int n : new int[] {7, 31, 32, 64, 80, 100, 128, 256}) {
            float[] x = new float[n + 3], y = new float[n + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
            float got = GgmlDot.vecDotF32(x, 3, y, 5, n, new float[32]);
            assertEquals(Float.floatToRawIntBits(scalarDot(x, 3, y, 5, n)), Float.floatToRawIntBits(got), "n " + n);
        }
    }

    /** Four dots against one query give the bits of four single dots (and of the scalar order). */
    @Test
    void qkFourPositionsMatchSingleDots() {
        Random r = new Random(8);
        for (int n : new int[] {7, 31, 32, 64, 80, 100, 128}) {
            int stride = n + 11;
            float[] x = new float[3 + 4 * stride], y = new float[n + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
            float[] got = new float[6];
            GgmlDot.vecDotF32x4(x, 3, stride, y, 5, n, got, 2, new float[32]);
            for (int j = 0; j < 4; j++) {
                assertEquals(Float.floatToRawIntBits(scalarDot(x, 3 + j * stride, y, 5, n)), Float.floatToRawIntBits(got[2 + j]),
                        "n " + n + " position " + j);
            }
        }
    }

    /** The 128-bit form (what machines with 128-bit vectors run) gives the same sum bit for bit. */
    @Test
    void qkSum128MatchesScalarOrder() {
        Random r = new Random(7);
        for (int np : new int[] {32, 64, 128, 256}) {
            float[] x = new float[np + 3], y = new float[np + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
            assertEquals(Float.floatToRawIntBits(scalarDot(x, 3, y, 5, np)), Float.floatToRawIntBits(GgmlDot.sum128(x, 3, y, 5, np)),
                    "np " + np);
        }
    }

    @Test
    void pvAccumulationMatchesScalarOrder() {
        Random r = new Random(6);
        for (int hd : new int[] {5, 8, 64, 80, 100, 128}) {
            int positions = 77;
            float[] v = new float[positions * hd + 9];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            float[] p = new float[positions];
            for (int t = 0; t < positions; t++) p[t] = r.nextFloat();
            float[] ref = new float[hd * 32];       // d-major: ref[d * 32 + lane]
            float[] acc = new float[hd * 32];       // lane-major
            for (int t = 0; t < positions; t++) {
                int vo = 9 + t * hd;
                for (int d = 0; d < hd; d++) ref[d * 32 + (t & 31)] = Math.fma(v[vo + d], p[t], ref[d * 32 + (t & 31)]);
                GgmlDot.accumulatePv(acc, t & 31, v, vo, p[t], hd);
            }
            float[] tmp = new float[32];
            float[] all = new float[hd + 3];
            GgmlDot.reduceLaneMajor(acc, hd, all, 3, tmp);
            for (int d = 0; d < hd; d++) {
                int want = Float.floatToRawIntBits(GgmlDot.reduce32(ref, d * 32));
                assertEquals(want, Float.floatToRawIntBits(GgmlDot.reduceStrided(acc, d, hd, tmp)), "hd " + hd + " d " + d);
                assertEquals(want, Float.floatToRawIntBits(all[3 + d]), "reduceLaneMajor hd " + hd + " d " + d);
            }
        }
    }
}
