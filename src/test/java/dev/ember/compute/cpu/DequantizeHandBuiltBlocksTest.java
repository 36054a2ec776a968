package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Hand-built blocks with exactly known values, and random blocks against the test-side spec decoder. */
class DequantizeHandBuiltBlocksTest {

    static float[] deq(GgmlType t, int cols, byte[] b) {
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(t, 1, cols, b));
        float[] out = new float[cols + 3];
        m.dequantizeRow(0, out, 3);
        float[] r = new float[cols];
        System.arraycopy(out, 3, r, 0, cols);
        return r;
    }

    @Test
    void q8_0BlockIsScaleTimesInt8() {
        byte[] b = new byte[34];
        Blocks.putHalf(b, 0, 0.5f);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) (j * 8 -128);
        float[] y = deq(GgmlType.Q8_0, 32, b);
        for (int j = 0; j < 32; j++) assertEquals((j * 8 - 128) * 0.5f, y[j]);
    }

    /** qs[j] = j | (15-j) << 4, d = 2: element j = (j - 8) * 2, element j+16 = (7 - j) * 2. */
    @Test
    void q4_0LowNibblesFirstHalfHighNibblesSecondHalf() {
        byte[] b = new byte[18];
        Blocks.putHalf(b, 0, 2f);
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (j | (15 - j) << 4);
        float[] y = deq(GgmlType.Q4_0, 32, b);
        for (int j = 0; j < 16; j++) {
            assertEquals((j - 8) * 2f, y[j]);
            assertEquals((7 - j) * 2f, y[j + 16]);
        }
    }

    /** Q4_1 with d = 0.5, m = -1: element = q/2 - 1. */
    @Test
    void q4_1AddsMin() {
        byte[] b = new byte[20];
        Blocks.putHalf(b, 0, 0.5f);
        Blocks.putHalf(b, 2, -1f);
        for (int j = 0; j < 16; j++) b[4 + j] = (byte) (j | (15 - j) << 4);
        float[] y = deq(GgmlType.Q4_1, 32, b);
        for (int j = 0; j < 16; j++) {
            assertEquals(j * 0.5f - 1f, y[j]);
            assertEquals((15 - j) * 0.5f - 1f, y[j + 16]);
        }
    }

    /** Q5_0 with all nibbles 0, qh = 0x80000001 (bits 0 and 31), d = 1: elements 0 and 31 are 16-16 = 0, the rest -16. */
    @Test
    void q5_0FifthBitComesFromQhBitOfTheElement() {
        byte[] b = new byte[22];
        Blocks.putHalf(b, 0, 1f);
        Blocks.le(b).putInt(2, 0x80000001);
        float[] y = deq(GgmlType.Q5_0, 32, b);
        for (int j = 0; j < 32; j++) assertEquals(j == 0 || j == 31 ? 0f : -16f, y[j], "element " + j);
    }

    /** Q5_1 with nibbles 15, qh bit 16 set, d = 1, m = 0.5: element 16 = 31.5, others 15.5. */
    @Test
    void q5_1FifthBitAndMin() {
        byte[] b = new byte[24];
        Blocks.putHalf(b, 0, 1f);
        Blocks.putHalf(b, 2, 0.5f);
        Blocks.le(b).putInt(4, 1 << 16);
        for (int j = 0; j < 16; j++) b[8 + j] = (byte) 0xFF;
        float[] y = deq(GgmlType.Q5_1, 32, b);
        for (int j = 0; j < 32; j++) assertEquals(j == 16 ? 31.5f : 15.5f, y[j], "element " + j);
    }

    /**
     * Q6_K with all ql/qh zero (q = 0 - 32 = -32), scales[s] = s + 1, d = 0.25: element e = 0.25 * (e/16 + 1) * -32
     * = -8 * (e/16 + 1). Then element 200 (half 1, c 2, l 8) gets ql high nibble 5 and qh bits 4-5 = 2: q = 5 | 32 = 37 - 32 = 5.
     */
    @Test
    void q6_KScalesPerSixteenAndBitPositions() {
        byte[] b = new byte[210];
        for (int s = 0; s < 16; s++) b[192 + s] = (byte) (s + 1);
        Blocks.putHalf(b, 208, 0.25f);
        b[64 + 8] = (byte) 0x50;        // ql for half 1, c 2 (high nibble of ql[64*1 + 0*32 + 8])
        b[128 + 32 + 8] = (byte) 0x20;  // qh for half 1, l 8, bits 4-5 = 2
        float[] y = deq(GgmlType.Q6_K, 256, b);
        for (int e = 0; e < 256; e++) {
            float expected = e == 200 ? 0.25f * 13 * 5 : -8f * (e / 16 + 1);
            assertEquals(expected, y[e], "element " + e);
        }
    }

    /**
     * Q4_K: d = 1, dmin = 0.5; sub-block 0 scale 3 min 2 (bytes 0 and 4), sub-block 5 scale 0b110001 = 49 from
     * (byte 9 & 15) | (byte 1 >> 6) << 4 and min 0b100111 = 39 from (byte 9 >> 4) | (byte 5 >> 6) << 4; qs all 0x21
     * (low nibble 1, high 2). Element 0 = 3*1 - 0.5*2 = 2; element 32*5 + 7 (sub-block 5 = high nibbles of qs[64..95]) =
     * 49*2 - 0.5*39 = 78.5.
     */
    @Test
    void q4_KSixBitScalesAndMins() {
        byte[] b = new byte[144];
        Blocks.putHalf(b, 0, 1f);
        Blocks.putHalf(b, 2, 0.5f);
        b[4] = 3;
        b[4 + 4] = 2;
        b[4 + 1] = (byte) (3 << 6);          // high bits of scale 5 (and low 6 bits of scale 1 = 0)
        b[4 + 5] = (byte) (2 << 6);          // high bits of min 5
        b[4 + 9] = (byte) (1 | 7 << 4);      // low nibble of scale 5 = 1, of min 5 = 7
        for (int j = 0; j < 128; j++) b[16 + j] = 0x21;
        float[] y = deq(GgmlType.Q4_K, 256, b);
        assertEquals(2f, y[0]);
        assertEquals(78.5f, y[160 + 7]);
        // sub-block 1 (high nibbles of qs[0..31]): scale = byte 1 & 63 = 0 and min = byte 5 & 63 = 0
        assertEquals(0f, y[32]);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void randomBlocksDecodeAsTheLayoutSpecSays(GgmlType t) {
        int cols = t.blockSize == 1 ? 77 : t.blockSize * 3;
        int rows = 3;
        byte[] b = Blocks.random(t, rows, cols, new Random(t.ordinal()));
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(t, rows, cols, b));
        float[] out = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, out, 0);
            float[] spec = SpecDecode.row(t, b, (int) (r * t.bytesFor(cols)), cols);
            assertArrayEquals(spec, out, 0f, t + " row " + r);
        }
    }

    @Test
    void unsupportedTypeIsRejectedWithTensorAndTypeNamed() {
        GgufTensor t = new GgufTensor("blk.0.weird", GgmlType.IQ2_XXS, new long[] {256, 2}, 0,
                MemorySegment.ofArray(new byte[132]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(t));
        assertEquals(true, e.getMessage().contains("blk.0.weird") && e.getMessage().contains("IQ2_XXS"), e.getMessage());
    }

    @Test
    void shapeIsRowsByNe0() {
        GgufTensor t = new GgufTensor("w", GgmlType.Q8_0, new long[] {64, 3, 2}, 0,
                MemorySegment.ofArray(new byte[34 * 2 * 6]));
        WeightMatrix m = WeightMatrix.of(t);
        assertEquals(6, m.rows());
        assertEquals(64, m.cols());
        assertEquals(GgmlType.Q8_0, m.activationType());
        assertEquals("w", m.name());
    }
}
