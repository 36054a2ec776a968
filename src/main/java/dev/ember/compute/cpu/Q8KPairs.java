package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_K activation rows laid out for a repacked K-quant kernel ({@link Q4_Kx8Kernel}, {@link Q6_Kx8Kernel}), as
 * {@link Q8Pairs} does for Q4_0: each pair of elements that one 16-bit lane of a repacked chunk multiplies, repeated over
 * the eight rows' lanes. Which elements pair up is the weight type's {@link Order}.
 *
 * <p>Per token t and superblock b ({@code blocks} per row), sb = t·blocks + b:
 * <pre>
 *   pairs[sb·2048 + 16·m + 2i + h]   slot m = 0..127, lane i = 0..7, h = 0..1: element order.element(m, h)
 *   sums[sb·16 + s]                  the order's per-superblock sums of the bsums (order.sums)
 *   scales[sb]                       the superblock's float d
 *   floats[sb·256 + e]               element order.expanded(e) as a float, for the batched kernels
 *                                    ({@link Q4_Kx8BatchKernel}, {@link Q6_Kx8BatchKernel})
 * </pre>
 * 5 KB per superblock and token.
 */
final class Q8KPairs implements PairedActivations {
    /** Which of a superblock's 256 elements each slot of a repacked kernel multiplies, and the sums it needs. */
    enum Order {
        /**
         * {@link Q4_Kx8Kernel}: slot m = 4·(8p + k) + n, pair p = 0..3, chunk k = 0..7, nibble position n = 0..3:
         * element 64p + 4k + 2h + (n & 1) + (n ≥ 2 ? 32 : 0); sums[j] = Σ of sub-block j's 32 elements (j = 0..7).
         */
        Q4_K {
            @Override
            int element(int m, int h) {
                int p = m >>> 5, k = (m >>> 2) & 7, n = m & 3;
                return 64 * p + 4 * k + 2 * h + (n & 1) + (n >= 2 ? 32 : 0);
            }

            @Override
            int sum(short[] bsums, int s) {
                return s < 8 ? bsums[2 * s] + bsums[2 * s + 1] : 0;
            }

            @Override
            int expanded(int e) {
                return Q4_Kx8BatchKernel.element(e);
            }
        },
        /**
         * {@link Q6_Kx8Kernel}: slot m = 16Q + 4c + e, quad Q = 0..7, chunk c = 0..3, extraction e = 0..3: element
         * {@link Q6_Kx8#element}(4Q + c, e, h); sums[2Q + part] = 32 · Σ of sub-block {@link Q6_Kx8#subBlock}(Q, part)'s
         * 16 elements (ggml's q - 32 offset, taken out of the unsigned products).
         */
        Q6_K {
            @Override
            int element(int m, int h) {
                return Q6_Kx8.element(m >>> 2, m & 3, h);
            }

            @Override
            int sum(short[] bsums, int s) {
                return 32 * bsums[Q6_Kx8.subBlock(s >>> 1, s & 1)];
            }

            @Override
            int expanded(int e) {
                return Q6_Kx8BatchKernel.element(e);
            }
        };

        /** The element (0..255) that lane half h of slot m multiplies. */
        abstract int element(int m, int h);

        /** Entry s (0..15) of a superblock's sums, from its Q8_K bsums (16 sums of 16 elements). */
        abstract int sum(short[] bsums, int s);

        /** The element (0..255) of expanded element e of the type's batched kernel. */
        abstract int expanded(int e);
    }

    private final Order order;
    /** [256] order.element(s / 2, s % 2), once. */
    private final int[] elements = new int[256];
    /** [256] order.expanded(e), once. */
    private final int[] expanded = new int[256];
    short[] pairs = new short[0];
    int[] sums = new int[0];
    float[] scales = new float[0];
    float[] floats = new float[0];

    Q8KPairs(Order order) {
        this.order = order;
        for (int s = 0; s < 256; s++) elements[s] = order.element(s >>> 1, s & 1);
        for (int e = 0; e < 256; e++) expanded[e] = order.expanded(e);
    }

    @Override
    public void ensure(int n, int blocks) {
        int nb = n * blocks;
        if (scales.length < nb) {
            scales = new float[nb];
            sums = new int[nb * 16];
            pairs = new short[nb * 2048];
            floats = new float[nb * 256];
        }
    }

    /** Fills token t from the Q8_K row at {@code xq[off ..]} ({@code blocks} blocks of 292 bytes: float d, 256 int8, 16 int16 bsums). */
    @Override
    public void fill(int t, MemorySegment xq, long off, int blocks, boolean batched) {
        // a superblock's 256 int8 elements and 16 bsums copied out once, then laid out from the arrays: per-element segment
        // reads here sent C2 into a recompile loop (a profile predicate trapping again and again, KernelBench Q4_K n=16),
        // which left the batched kernels' activations being filled by the interpreter
        byte[] q8 = new byte[256];
        short[] bs = new short[16];
        for (int b = 0; b < blocks; b++, off += 292) {
            int sb = t * blocks + b;
            scales[sb] = Bytes.f32(xq, off);
            MemorySegment.copy(xq, ValueLayout.JAVA_BYTE, off + 4, q8, 0, 256);
            MemorySegment.copy(xq, Bytes.I16, off + 260, bs, 0, 16);
            for (int s = 0; s < 16; s++) sums[sb * 16 + s] = order.sum(bs, s);
            if (batched) {
                for (int e = 0, f = sb * 256; e < 256; e++) floats[f + e] = q8[expanded[e]];
            }
            int q = sb * 2048;
            for (int m = 0; m < 128; m++, q += 16) {
                short lo = q8[elements[2 * m]], hi = q8[elements[2 * m + 1]];
                for (int i = 0; i < 8; i++) {
                    pairs[q + 2 * i] = lo;
                    pairs[q + 2 * i + 1] = hi;
                }
            }
        }
    }
}
