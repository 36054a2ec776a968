package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each quantizer's blocks, decoded by {@link BlockDecoder}, against the error bound its class comment states. */
class QuantizerTest {

    private static final int N = 2048; // 8 super-blocks of 256, 64 blocks of 32

    /** Awkward data: normal blocks, an all-zero block, all-positive, all-negative, wildly scaled sub-blocks. */
    static float[] awkwardRow(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[N]; // [2048]
        for (int i = 0; i < N; i++) x[i] = (float) r.nextGaussian();
        for (int i = 1024; i < 1280; i++) x[i] = 0f;
        for (int i = 1280; i < 1536; i++) x[i] = Math.abs(x[i]) + 0.5f;
        for (int i = 1536; i < 1792; i++) x[i] = -Math.abs(x[i]) - 0.25f;
        for (int i = 1792; i < N; i++) x[i] *= switch ((i / 16) % 4) { case 0 -> 100f; case 1 -> 0.001f; case 2 -> 0f; default -> 3f; };
        return x;
    }

    static BlockDecoder.Decoded decode(GgmlType t, MemorySegment m, int n) {
        return switch (t) {
            case Q8_0 -> BlockDecoder.q8_0(m, n);
            case Q4_0 -> BlockDecoder.q4_0(m, n);
            case Q5_0 -> BlockDecoder.q5_0(m, n);
            case Q4_K -> BlockDecoder.q4_K(m, n);
            case Q6_K -> BlockDecoder.q6_K(m, n);
            case F16 -> BlockDecoder.f16(m, n);
            default -> throw new AssertionError(t);
        };
    }

    static MemorySegment quantize(GgmlType t, float[] x) {
        MemorySegment m = MemorySegment.ofArray(new byte[(int) t.bytesFor(x.length)]);
        Quantizer.of(t).quantizeRow(x, 0, x.length, m, 0);
        return m;
    }

    /** Checks |x − x̂| ≤ factor·step + slack for every element, and the RMS error of the first 4 (normal) super-blocks. */
    static void checkBound(GgmlType t, double factor, double rmsLimit) {
        for (long seed = 1; seed <= 20; seed++) {
            float[] x = awkwardRow(seed);
            BlockDecoder.Decoded d = decode(t, quantize(t, x), N);
            double sq = 0;
            for (int i = 0; i < N; i++) {
                double err = Math.abs(x[i] - d.x()[i]);
                double bound = factor * d.step()[i] + 1e-6 * Math.abs(x[i]) + 1e-30;
                int e = i;
                assertTrue(err <= bound, () -> t + " seed element " + e + ": x=" + x[e] + " decoded " + d.x()[e]
                        + " err " + err + " > bound " + bound);
                if (i < 1024) sq += err * err;
            }
            double rms = Math.sqrt(sq / 1024);
            assertTrue(rms < rmsLimit, t + " rms error " + rms + " of N(0,1) data, limit " + rmsLimit);
        }
    }

    /** Numeric equality (0.0 == -0.0: a zero block may store a negative-zero scale, as ggml does). */
    static void assertSameValues(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            int e = i;
            assertTrue(expected[i] == actual[i], () -> "element " + e + ": expected " + expected[e] + ", got " + actual[e]);
        }
    }

    @Test
    void q8_0WithinBound() {
        checkBound(GgmlType.Q8_0, 0.5625, 0.01);
    }

    @Test
    void q4_0WithinBound() {
        checkBound(GgmlType.Q4_0, 1.0045, 0.12);
    }

    @Test
    void q5_0WithinBound() {
        checkBound(GgmlType.Q5_0, 1.0085, 0.06);
    }

    @Test
    void q4_KWithinHalfStep() {
        checkBound(GgmlType.Q4_K, 0.5 * (1 + 1e-5), 0.12);
    }

    @Test
    void q6_KWithinHalfStep() {
        checkBound(GgmlType.Q6_K, 0.5 * (1 + 1e-5), 0.03);
    }

    @Test
    void f16WithinHalfUlp() {
        checkBound(GgmlType.F16, 0.5, 1e-3);
    }

    @Test
    void f32IsExact() {
        float[] x = awkwardRow(7);
        MemorySegment m = quantize(GgmlType.F32, x);
        float[] back = new float[N];
        for (int i = 0; i < N; i++) back[i] = m.get(Blocks.FLOAT, 4L * i);
        assertArrayEquals(x, back);
    }

    @Test
    void q8_0ExactForIntegersWithScaleOne() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j * 8 - 127; // -127 .. 121, amax 127: d = 1
        MemorySegment m = quantize(GgmlType.Q8_0, x);
        assertEquals((short) 0x3C00, m.get(Blocks.SHORT, 0)); // fp16 1.0
        for (int j = 0; j < 32; j++) assertEquals((byte) x[j], m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 + j));
        assertSameValues(x, BlockDecoder.q8_0(m, 32).x());
    }

    @Test
    void q4_0ExactForIntegersWithScaleOne() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = (j % 16) - 8; // -8 .. 7: max magnitude -8, d = 1
        MemorySegment m = quantize(GgmlType.Q4_0, x);
        assertEquals((short) 0x3C00, m.get(Blocks.SHORT, 0));
        for (int j = 0; j < 16; j++) assertEquals(j | (j << 4), BlockDecoder.u8(m, 2 + j));
        assertSameValues(x, BlockDecoder.q4_0(m, 32).x());
        // A positive extreme flips the scale's sign: d = -1, q = 8 - x.
        float[] y = new float[32];
        for (int j = 0; j < 32; j++) y[j] = 8 - (j % 16); // 8 .. -7
        MemorySegment my = quantize(GgmlType.Q4_0, y);
        assertEquals((short) 0xBC00, my.get(Blocks.SHORT, 0)); // fp16 -1.0
        assertSameValues(y, BlockDecoder.q4_0(my, 32).x());
    }

    @Test
    void q5_0ExactForIntegersWithScaleOne() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 16; // -16 .. 15, d = 1, q = j
        MemorySegment m = quantize(GgmlType.Q5_0, x);
        assertEquals((short) 0x3C00, m.get(Blocks.SHORT, 0));
        assertEquals(0xFFFF0000, m.get(Blocks.INT, 2)); // bit 4 set exactly for q >= 16, i.e. elements 16..31
        for (int j = 0; j < 16; j++) assertEquals(j | (j << 4), BlockDecoder.u8(m, 6 + j));
        assertSameValues(x, BlockDecoder.q5_0(m, 32).x());
    }

    @Test
    void q4_KExactWhenScalesAreRepresentable() {
        // d = 1/16 and dmin = 1/8 are exact halves; sub-block j spans 16 levels of step d·sc_j from −dmin·m_j.
        int[] sc = {63, 1, 17, 40, 5, 63, 2, 33};
        int[] mn = {0, 63, 0, 7, 63, 12, 0, 1};
        float d = 1 / 16f, dmin = 1 / 8f;
        float[] x = new float[256];
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) x[32 * j + l] = d * sc[j] * (l % 16) - dmin * mn[j];
        }
        MemorySegment m = quantize(GgmlType.Q4_K, x);
        assertEquals(d, BlockDecoder.half(m, 0));
        assertEquals(dmin, BlockDecoder.half(m, 2));
        for (int j = 0; j < 8; j++) assertArrayEquals(new int[] {sc[j], mn[j]}, BlockDecoder.scaleMinK4(m, 4, j), "sub-block " + j);
        assertSameValues(x, BlockDecoder.q4_K(m, 256).x());
    }

    @Test
    void q6_KExactWhenScalesAreRepresentable() {
        // d = 1/128; sub-block i holds d·sc_i·q for q = -31 .. 31 (with ±31 present, so step_i = d·sc_i).
        float d = 1 / 128f;
        float[] x = new float[256];
        int[] sc = new int[16];
        for (int i = 0; i < 16; i++) {
            sc[i] = i == 3 ? 127 : 1 + 8 * i;
            for (int l = 0; l < 16; l++) x[16 * i + l] = d * sc[i] * (l == 0 ? 31 : l == 1 ? -31 : (l * 5) % 63 - 31);
        }
        MemorySegment m = quantize(GgmlType.Q6_K, x);
        assertEquals(d, BlockDecoder.half(m, 208));
        for (int i = 0; i < 16; i++) assertEquals(sc[i], BlockDecoder.u8(m, 192 + i), "scale " + i);
        assertSameValues(x, BlockDecoder.q6_K(m, 256).x());
    }

    @Test
    void zerosDecodeToZeros() {
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16}) {
            assertSameValues(new float[512], decode(t, quantize(t, new float[512]), 512).x());
        }
    }

    @Test
    void writesAtOffsetsAndChecksLengths() {
        float[] x = awkwardRow(3);
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            Quantizer q = Quantizer.of(t);
            assertEquals(t, q.type());
            int rowBytes = (int) t.bytesFor(256);
            MemorySegment whole = MemorySegment.ofArray(new byte[rowBytes]);
            q.quantizeRow(x, 512, 256, whole, 0);
            MemorySegment shifted = MemorySegment.ofArray(new byte[rowBytes + 7]);
            q.quantizeRow(x, 512, 256, shifted, 7);
            assertArrayEquals(whole.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    shifted.asSlice(7).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t.toString());
            assertThrows(IllegalArgumentException.class, () -> q.quantizeRow(x, 0, t.blockSize + 1, whole, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> q.quantizeRow(x, 0, 256, whole, 1));
        }
        assertThrows(IllegalArgumentException.class, () -> Quantizer.of(GgmlType.Q2_K));
    }
}
