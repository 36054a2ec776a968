package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Q8_K activation rows laid out for {@link Q4_Kx8Kernel}, as {@link Q8Pairs} does for Q4_0: each pair of elements that
 * one 16-bit lane of a repacked chunk multiplies, repeated over the eight rows' lanes.
 *
 * <p>Per token t and superblock b ({@code blocks} per row), sb = t·blocks + b:
 * <pre>
 *   pairs[sb·2048 + 16·(4·(8p + k) + m) + 2i + h]   pair p = 0..3, chunk k = 0..7, nibble m = 0..3, lane i, h = 0..1:
 *        element 64p + 4k + 2h (m = 0), 64p + 4k + 1 + 2h (m = 1), 64p + 32 + 4k + 2h (m = 2), 64p + 33 + 4k + 2h (m = 3)
 *   sums[sb·8 + j]   Σ of sub-block j's 32 elements (bsums[2j] + bsums[2j + 1]), for the mins term
 *   scales[sb]       the superblock's float d
 * </pre>
 * 4 KB per superblock and token.
 */
final class Q8KPairs {
    short[] pairs = new short[0];
    int[] sums = new int[0];
    float[] scales = new float[0];

    void ensure(int n, int blocks) {
        int nb = n * blocks;
        if (scales.length < nb) {
            scales = new float[nb];
            sums = new int[nb * 8];
            pairs = new short[nb * 2048];
        }
    }

    /** Fills token t from the Q8_K row at {@code xq[off ..]} ({@code blocks} blocks of 292 bytes: float d, 256 int8, 16 int16 bsums). */
    void fill(int t, MemorySegment xq, long off, int blocks) {
        for (int b = 0; b < blocks; b++, off += 292) {
            int sb = t * blocks + b;
            scales[sb] = Bytes.f32(xq, off);
            for (int j = 0; j < 8; j++) sums[sb * 8 + j] = Bytes.i16(xq, off + 260 + 4 * j) + Bytes.i16(xq, off + 262 + 4 * j);
            int q = sb * 2048;
            for (int p = 0; p < 4; p++) {
                for (int k = 0; k < 8; k++) {
                    for (int m = 0; m < 4; m++, q += 16) {
                        int first = 64 * p + 4 * k + (m & 1) + (m >= 2 ? 32 : 0);
                        short lo = (short) Bytes.i8(xq, off + 4 + first), hi = (short) Bytes.i8(xq, off + 4 + first + 2);
                        for (int i = 0; i < 8; i++) {
                            pairs[q + 2 * i] = lo;
                            pairs[q + 2 * i + 1] = hi;
                        }
                    }
                }
            }
        }
    }
}
