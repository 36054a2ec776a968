package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0 activation rows laid out for {@link Q4_0x8Kernel}: every 16-bit multiply there pairs a nibble of eight rows with
 * one activation element, two elements per 32-bit lane, so each activation pair is stored already repeated over the eight
 * lanes and the kernel multiplies straight from memory.
 *
 * <p>Per token t and block b ({@code blocks} per row):
 * <pre>
 *   pairs[(t·blocks + b)·256 + 16·(4c + m) + 2i + h]   for chunk c = 0..3, nibble m = 0..3, lane i = 0..7, h = 0..1:
 *        the int8 element e(c, m, h) as a short, e = 4c + 2h (m = 0), 4c + 1 + 2h (m = 1), 16 + 4c + 2h (m = 2),
 *        17 + 4c + 2h (m = 3): the elements of the nibbles that {@link Q4_0x8Kernel} extracts from chunk c
 *   sums8[t·blocks + b]    8 · Σ of the block's 32 elements (the kernel multiplies unsigned nibbles 0..15 and takes the
 *                          offset 8 off once per block)
 *   scales[t·blocks + b]   the block's scale d as a float
 *   floats[(t·blocks + b)·32 + k]   element {@link Q4_0x8BatchKernel#element}(k) as a float, for the batched kernel
 * </pre>
 * 512 bytes per block: a tile of {@link Q4_0x8#TILE} blocks is 8 KB per token, which stays in L1 while the weights stream.
 */
final class Q8Pairs implements PairedActivations {
    short[] pairs = new short[0];
    int[] sums8 = new int[0];
    float[] scales = new float[0];
    float[] floats = new float[0];

    @Override
    public void ensure(int n, int blocks) {
        int nb = n * blocks;
        if (sums8.length < nb) {
            sums8 = new int[nb];
            scales = new float[nb];
            pairs = new short[nb * 256];
            floats = new float[nb * 32];
        }
    }

    /** Fills token t from the Q8_0 row at {@code xq[off ..]} ({@code blocks} blocks of 34 bytes). */
    @Override
    public void fill(int t, MemorySegment xq, long off, int blocks, boolean batched) {
        short[] e = new short[32];
        for (int b = 0; b < blocks; b++, off += 34) {
            int tb = t * blocks + b;
            scales[tb] = Bytes.f16(xq, off);
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                e[j] = (short) Bytes.i8(xq, off + 2 + j);
                sum += e[j];
            }
            sums8[tb] = 8 * sum;
            if (batched) {
                for (int k = 0, f = tb * 32; k < 32; k++) floats[f + k] = e[Q4_0x8BatchKernel.element(k)];
            }
            int p = tb * 256;
            for (int c = 0; c < 4; c++) {
                for (int m = 0; m < 4; m++, p += 16) {
                    int first = (m < 2 ? 4 * c + m : 16 + 4 * c + m - 2);   // h = 0; h = 1 is two elements on
                    short lo = e[first], hi = e[first + 2];
                    for (int i = 0; i < 8; i++) {
                        pairs[p + 2 * i] = lo;
                        pairs[p + 2 * i + 1] = hi;
                    }
                }
            }
        }
    }
}
