package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Q4_K matrices repacked eight rows at a time ({@link Q4_Kx8}) through {@link Matmul#apply} ({@link Q4_Kx8Kernel}): each
 * output is the bits of a scalar model of the kernel's arithmetic and within {@link Q4_Kx8Kernel#errorBound} of ggml's
 * formula evaluated exactly, a token gets the same bits alone or in a batch, and repacked rows decode to the original
 * values.
 */
class Q4_Kx8Test {
    private static final int[] COLS = {256, 256 * 2, 256 * 3, 256 * 8};   // one superblock, one tile, 2 + 1, four tiles

    /** Random Q4_K data with a few special fp16 d / dmin: zero, negative zero, subnormals, negative, the largest normal. */
    private static byte[] weights(int rows, int cols, Random rnd) {
        byte[] b = Blocks.random(GgmlType.Q4_K, rows, cols, rnd);
        short[] special = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x03FF, (short) 0xBC00, 0x7BFF, (short) 0xC3A1};
        int blocks = rows * cols / 256;
        for (int i = 0; i < special.length && i < 2 * blocks; i++) {
            int off = 144 * ((i * 7919) % blocks) + 2 * (i & 1);   // d, then dmin
            b[off] = (byte) special[i];
            b[off + 1] = (byte) (special[i] >> 8);
        }
        return b;
    }

    /** [kernel bits as a float, exact value, Σ |terms|] for row r against one Q8_K activation row. */
    private static double[] model(byte[] w, int row, int cols, MemorySegment xq) {
        MemorySegment ws = MemorySegment.ofArray(w);
        ByteBuffer wb = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer xb = xq.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int blocks = cols / 256;
        float acc = 0;
        double exact = 0, abs = 0;
        for (int b = 0; b < blocks; b++) {
            int wo = (row * blocks + b) * 144, xo = b * 292;
            long isum = 0, msum = 0;
            for (int j = 0; j < 8; j++) {
                int dot = 0, ysum = 0;
                for (int l = 0; l < 32; l++) {
                    int qb = w[wo + 16 + 32 * (j / 2) + l] & 0xFF;
                    int q = (j & 1) == 0 ? qb & 0xF : qb >>> 4;
                    int y = xb.get(xo + 4 + 32 * j + l);
                    dot += q * y;
                    ysum += y;
                }
                isum += (long) KScales.scaleK4(ws, wo + 4, j) * dot;
                msum += (long) KScales.minK4(ws, wo + 4, j) * ysum;
            }
            float dy = xb.getFloat(xo);
            float d = Float.float16ToFloat(wb.getShort(wo)), dmin = Float.float16ToFloat(wb.getShort(wo + 2));
            acc = Math.fma((float) isum, d * dy, acc);
            acc = Math.fma((float) msum, -(dmin * dy), acc);
            exact += (double) d * dy * isum - (double) dmin * dy * msum;
            abs += Math.abs((double) d * dy * isum) + Math.abs((double) dmin * dy * msum);
        }
        return new double[] {acc, exact, abs};
    }

    @Test
    void matchesTheScalarModelBitForBitAndTheExactSumWithinTheBound() {
        assumeTrue(Lanes.ENABLED, "the repacked kernels need 256-bit vectors");
        PackedKernelCheck.check(GgmlType.Q4_K, COLS, Q4_Kx8Test::weights, Q4_Kx8Test::model, Q4_Kx8Kernel::errorBound, new Random(21));
    }

    @Test
    void repackedRowsDecodeToTheOriginalValues() {
        assumeTrue(Lanes.ENABLED, "the repacked kernels need 256-bit vectors");
        Random rnd = new Random(22);
        for (int cols : COLS) RepackedRows.assertDecodeAsTheOriginal(GgmlType.Q4_K, 16, cols, weights(16, cols, rnd));
    }

    @Test
    void rowsNotInGroupsOfEightStayInPlace() {
        Random rnd = new Random(23);
        RepackedRows.assertStaysInPlace(GgmlType.Q4_K, 256, weights(12, 256, rnd), rnd);
    }
}
