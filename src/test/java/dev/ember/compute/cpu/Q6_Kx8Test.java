package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Q6_K matrices repacked eight rows at a time ({@link Q6_Kx8}) through {@link Matmul#apply} ({@link Q6_Kx8Kernel}): each
 * output is the bits of a scalar model of the kernel's arithmetic (ggml's exact integer superblock sum, then
 * {@code fma(isum, d · d_y, acc)} in superblock order) and within {@link Q6_Kx8Kernel#errorBound} of the exact value, a
 * token gets the same bits alone or in a batch and with one or two threads, and repacked rows decode to the original
 * values. The extremes of the 16-bit products (6-bit 0 and 63 against -128 and 127) are forced in.
 */
class Q6_Kx8Test {
    private static final int[] COLS = {256, 256 * 2, 256 * 3, 256 * 8};   // one superblock, one tile, 2 + 1, four tiles

    /** Random Q6_K data with special fp16 d (zero, negative zero, subnormals, negative, the largest normal) and extreme quants. */
    private static byte[] weights(int rows, int cols, Random rnd) {
        byte[] b = Blocks.random(GgmlType.Q6_K, rows, cols, rnd);
        short[] special = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x03FF, (short) 0xBC00, 0x7BFF, (short) 0xC3A1};
        int blocks = rows * cols / 256;
        for (int i = 0; i < special.length && i < blocks; i++) {
            int off = 210 * ((i * 7919) % blocks) + 208;
            b[off] = (byte) special[i];
            b[off + 1] = (byte) (special[i] >> 8);
        }
        // every quant of one superblock 63 (ql 0xFF, qh 0xFF), of another 0, scales at the int8 extremes
        Arrays.fill(b, 0, 192, (byte) 0xFF);
        Arrays.fill(b, 192, 208, (byte) 127);
        if (blocks > 1) {
            Arrays.fill(b, 210, 210 + 192, (byte) 0);
            Arrays.fill(b, 210 + 192, 210 + 208, (byte) -128);
        }
        return b;
    }

    /** The 6-bit value (0..63) of element e of the superblock at {@code wo}, in ggml's layout. */
    private static int q6(byte[] w, int wo, int e) {
        int n = e / 128, kk = (e % 128) / 32, l = e % 32;
        int ql = w[wo + 64 * n + 32 * (kk & 1) + l] & 0xFF;
        int lo = kk < 2 ? ql & 0xF : ql >>> 4;
        int hi = ((w[wo + 128 + 32 * n + l] & 0xFF) >>> (2 * kk)) & 3;
        return lo | hi << 4;
    }

    /** [kernel bits as a float, exact value, Σ |terms|] for row r against one Q8_K activation row. */
    private static double[] model(byte[] w, int row, int cols, MemorySegment xq) {
        ByteBuffer wb = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer xb = xq.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int blocks = cols / 256;
        float acc = 0;
        double exact = 0, abs = 0;
        for (int b = 0; b < blocks; b++) {
            int wo = (row * blocks + b) * 210, xo = b * 292;
            long isum = 0;
            for (int j = 0; j < 16; j++) {
                int dot = 0;
                for (int l = 0; l < 16; l++) dot += (q6(w, wo, 16 * j + l) - 32) * xb.get(xo + 4 + 16 * j + l);
                isum += (long) w[wo + 192 + j] * dot;
            }
            float dy = xb.getFloat(xo);
            float d = Float.float16ToFloat(wb.getShort(wo + 208));
            acc = Math.fma((float) isum, d * dy, acc);
            exact += (double) d * dy * isum;
            abs += Math.abs((double) d * dy * isum);
        }
        return new double[] {acc, exact, abs};
    }

    @Test
    void theLayoutCoversEverySuperblockElementOnce() {
        Set<Integer> seen = new HashSet<>();
        for (int k = 0; k < 32; k++) {
            for (int e = 0; e < 4; e++) {
                for (int h = 0; h < 2; h++) {
                    int el = Q6_Kx8.element(k, e, h);
                    assertTrue(seen.add(el), "element " + el + " twice");
                    assertEquals(Q6_Kx8.subBlock(k / 4, e & 1), el / 16, "chunk " + k + " e " + e + " h " + h);
                }
            }
        }
        assertEquals(256, seen.size());
    }

    @Test
    void matchesTheScalarModelBitForBitAndTheExactSumWithinTheBound() {
        assumeTrue(Lanes.ENABLED, "the repacked kernels need 256-bit vectors");
        PackedKernelCheck.check(GgmlType.Q6_K, COLS, Q6_Kx8Test::weights, Q6_Kx8Test::model, Q6_Kx8Kernel::errorBound, new Random(31));
    }

    @Test
    void repackedRowsDecodeToTheOriginalValues() {
        assumeTrue(Lanes.ENABLED, "the repacked kernels need 256-bit vectors");
        Random rnd = new Random(32);
        for (int cols : COLS) RepackedRows.assertDecodeAsTheOriginal(GgmlType.Q6_K, 16, cols, weights(16, cols, rnd));
    }

    @Test
    void rowsNotInGroupsOfEightStayInPlace() {
        Random rnd = new Random(33);
        RepackedRows.assertStaysInPlace(GgmlType.Q6_K, 256, weights(12, 256, rnd), rnd);
    }
}
