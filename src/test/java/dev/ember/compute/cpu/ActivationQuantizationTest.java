package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Activation encodings, checked on inputs whose exact encoding can be worked out by hand. */
class ActivationQuantizationTest {

    static ByteBuffer bb(MemorySegment s) {
        return s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Block 1 has amax 127, so d = 1 (fp16 0x3C00), id = 1 and q = x rounded to nearest even: 0.5 -> 0, 1.5 -> 2,
     * 2.5 -> 2, -0.5 -> 0, -2.5 -> -2 (roundf would give 1, 2, 3, -1, -3). Block 2 has amax 63.5, so d = 0.5 (0x3800),
     * id = 127/63.5 = 2 and q = rint(2x): 0.25 -> rint(0.5) = 0, 0.75 -> rint(1.5) = 2, -63.5 -> -127.
     */
    @Test
    void q8_0RoundsHalfToEvenWithFp16Scale() {
        float[] x = new float[64];
        float[] first = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 127f, -3.25f, 100.49f};
        System.arraycopy(first, 0, x, 0, first.length);
        float[] second = {0.25f, 0.75f, -63.5f, 10f};
        System.arraycopy(second, 0, x, 32, second.length);
        ByteBuffer q = bb(Blocks.quantize(GgmlType.Q8_0, x));
        assertEquals((short) 0x3C00, q.getShort(0));
        byte[] qs = new byte[8];
        q.get(2, qs);
        assertArrayEquals(new byte[] {0, 2, 2, 0, -2, 127, -3, 100}, qs);
        for (int j = 8; j < 32; j++) assertEquals(0, q.get(2 + j));
        assertEquals((short) 0x3800, q.getShort(34));
        byte[] qs2 = new byte[4];
        q.get(36, qs2);
        assertArrayEquals(new byte[] {0, 2, -127, 20}, qs2);
    }

    @Test
    void q8_0OfZeroBlockHasZeroScaleAndQuants() {
        ByteBuffer q = bb(Blocks.quantize(GgmlType.Q8_0, new float[32]));
        for (int i = 0; i < 34; i++) assertEquals(0, q.get(i));
    }

    /** Q8_1 adds s = fp16(d * sum(q)): with d = 1 and quants {0, 2, 2, 0, -2, 127} the sum is 129, fp16(129) = 0x5810. */
    @Test
    void q8_1StoresScaledSumOfQuants() {
        float[] x = new float[32];
        float[] first = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 127f};
        System.arraycopy(first, 0, x, 0, first.length);
        ByteBuffer q = bb(Blocks.quantize(GgmlType.Q8_1, x));
        assertEquals((short) 0x3C00, q.getShort(0));
        // 129 = 1.0078125 * 2^7: exponent 7+15 = 22 (0x5800), mantissa 0.0078125*1024 = 8 -> 0x5808
        assertEquals((short) 0x5808, q.getShort(2));
        assertEquals(2, q.get(4 + 1));
        assertEquals(127, q.get(4 + 5));
    }

    /**
     * Q8_K uses the signed extreme: max = -127 gives iscale = 1, d = 1, q = rint(x); max = +127 gives iscale = -1, d = -1,
     * q = -rint(x) (ggml stores the quants negated then). bsums are sums of 16 quants.
     */
    @Test
    void q8_KUsesSignedMaxAndNearestEvenAndBsums() {
        float[] x = new float[512];
        x[0] = -127f; x[1] = 0.5f; x[2] = 1.5f; x[3] = -2.5f; x[17] = 3f;
        x[256] = 127f; x[257] = 0.5f; x[258] = 1.5f; x[259] = 2.5f;
        ByteBuffer q = bb(Blocks.quantize(GgmlType.Q8_K, x));
        assertEquals(1f, q.getFloat(0));
        assertArrayEquals(new byte[] {-127, 0, 2, -2}, bytes(q, 4, 4));
        assertEquals(-127 + 0 + 2 - 2, q.getShort(4 + 256));
        assertEquals(3, q.getShort(4 + 256 + 2));
        assertEquals(-1f, q.getFloat(292));
        assertArrayEquals(new byte[] {-127, 0, -2, -2}, bytes(q, 292 + 4, 4));
        assertEquals(-131, q.getShort(292 + 4 + 256));
    }

    static byte[] bytes(ByteBuffer b, int off, int n) {
        byte[] r = new byte[n];
        b.get(off, r);
        return r;
    }

    /** F16: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 and rounds to the even 1.0; 1 + 3*2^-11 rounds up to 1 + 2^-9. */
    @Test
    void f16RoundsToNearestEven() {
        ByteBuffer q = bb(Blocks.quantize(GgmlType.F16, new float[] {1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 65520f, -0f}));
        assertEquals((short) 0x3C00, q.getShort(0));
        assertEquals((short) 0x3C02, q.getShort(2));
        assertEquals((short) 0x7C00, q.getShort(4));       // 65520 is halfway to the next binade: rounds to infinity
        assertEquals((short) 0x8000, q.getShort(6));
    }

    /** BF16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7: even 1.0 (0x3F80); 1 + 3*2^-8 -> 0x3F82; NaN stays a quiet NaN. */
    @Test
    void bf16RoundsToNearestEvenAndQuietsNaN() {
        float sNaN = Float.intBitsToFloat(0x7f800001);
        ByteBuffer q = bb(Blocks.quantize(GgmlType.BF16, new float[] {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, sNaN, -2f}));
        assertEquals((short) 0x3F80, q.getShort(0));
        assertEquals((short) 0x3F82, q.getShort(2));
        assertEquals((short) 0x7FC0, q.getShort(4));
        assertEquals((short) 0xC000, q.getShort(6));
    }

    @Test
    void f32IsPlainCopy() {
        float[] x = {1.25f, -3e-39f, Float.MAX_VALUE};
        ByteBuffer q = bb(Blocks.quantize(GgmlType.F32, x));
        for (int i = 0; i < 3; i++) assertEquals(Float.floatToRawIntBits(x[i]), q.getInt(4 * i));
    }

    @Test
    void rowBytesRejectsPartialBlocksAndNonActivationTypes() {
        assertEquals(34 * 3, Activations.rowBytes(GgmlType.Q8_0, 96));
        assertEquals(292, Activations.rowBytes(GgmlType.Q8_K, 256));
        assertThrows(IllegalArgumentException.class, () -> Activations.rowBytes(GgmlType.Q8_0, 100));
        assertThrows(IllegalArgumentException.class, () -> Activations.rowBytes(GgmlType.Q4_0, 32));
    }
}
