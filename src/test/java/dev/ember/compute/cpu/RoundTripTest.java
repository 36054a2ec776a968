package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Types without fixture tensors: a simple test-side quantizer writes blocks from known codes; dequantizeRow must give back
 * exactly the value the codes stand for (so every field is read from the right place) and stay within one quantization
 * step of the original floats.
 */
class RoundTripTest {
    private final Random rnd = new Random(11);

    static float h(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    static float[] deq(GgmlType t, int cols, byte[] b) {
        float[] out = new float[cols];
        WeightMatrix.of(Blocks.tensor(t, 1, cols, b)).dequantizeRow(0, out, 0);
        return out;
    }

    float[] gaussian(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @Test
    void q4_1AndQ5_1RoundTripWithinOneStep() {
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_1, GgmlType.Q5_1}) {
            int levels = t == GgmlType.Q4_1 ? 15 : 31;
            int n = 32 * 8;
            float[] x = gaussian(n);
            byte[] b = new byte[(int) t.bytesFor(n)];
            float[] expected = new float[n];
            float[] step = new float[n];
            for (int blk = 0; blk < n / 32; blk++) {
                int o = blk * t.typeSize;
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = 0; j < 32; j++) { min = Math.min(min, x[32 * blk + j]); max = Math.max(max, x[32 * blk + j]); }
                float d = h((max - min) / levels), m = h(min);
                Blocks.putHalf(b, o, d);
                Blocks.putHalf(b, o + 2, m);
                int qh = 0;
                int qs = t == GgmlType.Q4_1 ? o + 4 : o + 8;
                for (int j = 0; j < 32; j++) {
                    int q = Math.max(0, Math.min(levels, Math.round((x[32 * blk + j] - m) / d)));
                    b[qs + j % 16] |= (byte) ((q & 15) << (j < 16 ? 0 : 4));
                    qh |= (q >> 4) << j;
                    expected[32 * blk + j] = q * d + m;
                    step[32 * blk + j] = d;
                }
                if (t == GgmlType.Q5_1) Blocks.le(b).putInt(o + 4, qh);
            }
            float[] y = deq(t, n, b);
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i], y[i], 0f, t + " element " + i);
                assertTrue(Math.abs(y[i] - x[i]) <= step[i], t + " element " + i);
            }
        }
    }

    @Test
    void bf16RoundTripIsTheTopHalfRoundedToNearestEven() {
        float[] x = gaussian(301);
        byte[] b = new byte[2 * x.length];
        for (int i = 0; i < x.length; i++) Blocks.le(b).putShort(2 * i, Half.floatToBf16(x[i]));
        float[] y = deq(GgmlType.BF16, x.length, b);
        for (int i = 0; i < x.length; i++) {
            // 7 stored mantissa bits: ulp <= 2^-7 |x|, nearest rounding is off by at most half of that
            assertTrue(Math.abs(y[i] - x[i]) <= Math.abs(x[i]) * 0x1p-8, "element " + i);
            assertEquals(Half.floatToBf16(x[i]), (short) (Float.floatToRawIntBits(y[i]) >>> 16));
            assertEquals(0, Float.floatToRawIntBits(y[i]) & 0xFFFF);
        }
    }

    /** Q2_K: per sub-block of 16, value = (d*sc)*q - dmin*mn with 4-bit sc, mn and 2-bit q. */
    @Test
    void q2_KRoundTripWithinOneStep() {
        int n = 256 * 3;
        float[] x = gaussian(n);
        byte[] b = new byte[(int) GgmlType.Q2_K.bytesFor(n)];
        for (int blk = 0; blk < n / 256; blk++) {
            int o = 84 * blk, xo = 256 * blk;
            float[] scale = new float[16], mins = new float[16];
            float maxScale = 0, maxMin = 0;
            for (int s = 0; s < 16; s++) {
                float lo = 0, hi = 0;
                for (int j = 0; j < 16; j++) { lo = Math.min(lo, x[xo + 16 * s + j]); hi = Math.max(hi, x[xo + 16 * s + j]); }
                mins[s] = -lo;
                scale[s] = (hi - lo) / 3;
                maxScale = Math.max(maxScale, scale[s]);
                maxMin = Math.max(maxMin, mins[s]);
            }
            float d = h(maxScale / 15), dmin = h(maxMin / 15);
            Blocks.putHalf(b, o + 80, d);
            Blocks.putHalf(b, o + 82, dmin);
            float[] expected = new float[256];
            for (int s = 0; s < 16; s++) {
                int sc = Math.max(1, Math.min(15, (int) Math.ceil(scale[s] / d)));
                int mn = Math.min(15, (int) Math.ceil(mins[s] / dmin));
                b[o + s] = (byte) (sc | mn << 4);
                for (int j = 0; j < 16; j++) {
                    int e = 16 * s + j;
                    int q = Math.max(0, Math.min(3, Math.round((x[xo + e] + dmin * mn) / (d * sc))));
                    b[o + 16 + 32 * (e / 128) + e % 32] |= (byte) (q << (2 * ((e / 32) % 4)));
                    expected[e] = (d * sc) * q - dmin * mn;
                    float y = expected[e];
                    // half a step unclipped; at the top clip off by <= dmin (mn was rounded up); at 0 by the fp16 slack of dmin*15
                    assertTrue(Math.abs(y - x[xo + e]) <= d * sc / 2 + dmin * (1 + 15 * 0x1p-10f), "code choice " + e);
                }
            }
            float[] y = deq(GgmlType.Q2_K, n, b);
            for (int e = 0; e < 256; e++) assertEquals(expected[e], y[xo + e], 0f, "element " + (xo + e));
        }
    }

    /** Q3_K: per sub-block of 16, value = (d*(ls-32)) * q with q in -4..3 (2 low bits + inverted high bit). */
    @Test
    void q3_KRoundTripWithinOneStep() {
        int n = 256 * 3;
        float[] x = gaussian(n);
        byte[] b = new byte[(int) GgmlType.Q3_K.bytesFor(n)];
        for (int blk = 0; blk < n / 256; blk++) {
            int o = 110 * blk, xo = 256 * blk;
            float[] scale = new float[16];
            float maxScale = 0;
            for (int s = 0; s < 16; s++) {
                for (int j = 0; j < 16; j++) scale[s] = Math.max(scale[s], Math.abs(x[xo + 16 * s + j]) / 4);
                maxScale = Math.max(maxScale, scale[s]);
            }
            float d = h(maxScale / 31);
            Blocks.putHalf(b, o + 108, d);
            float[] expected = new float[256];
            for (int s = 0; s < 16; s++) {
                int ls = Math.max(1, Math.min(31, Math.round(scale[s] / d)));   // stored as ls + 32 (6 bits)
                int stored = ls + 32;
                // low 4 bits: bytes 0..7 (s < 8 low nibble of byte s, else high nibble of byte s-8); high 2 bits: bytes 8..11
                b[o + 96 + s % 8] |= (byte) ((stored & 15) << (s < 8 ? 0 : 4));
                b[o + 96 + 8 + s % 4] |= (byte) ((stored >> 4) << (2 * (s / 4)));
                for (int j = 0; j < 16; j++) {
                    int e = 16 * s + j;
                    int q = Math.max(-4, Math.min(3, Math.round(x[xo + e] / (d * ls))));
                    int low = q & 3, high = q >= 0 ? 1 : 0;   // q = low - 4 when the high bit is clear
                    if (q < 0) low = q + 4;
                    b[o + 32 + 32 * (e / 128) + e % 32] |= (byte) (low << (2 * ((e / 32) % 4)));
                    b[o + e % 32] |= (byte) (high << (e / 32));
                    expected[e] = (d * ls) * q;
                    // unclipped: half a step; clipped at +3: |x| <= 4*scale <= 4*(d*ls + d/2), so off by <= d*ls + 2d
                    assertTrue(Math.abs(expected[e] - x[xo + e]) <= (d * ls + 2 * d) * 1.001f, "code choice " + e);
                }
            }
            float[] y = deq(GgmlType.Q3_K, n, b);
            for (int e = 0; e < 256; e++) assertEquals(expected[e], y[xo + e], 0f, "element " + (xo + e));
        }
    }
}
