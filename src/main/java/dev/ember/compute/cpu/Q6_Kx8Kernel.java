package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The decode kernel of {@link Q6_Kx8} weights against {@link Q8KPairs} ({@link Q8KPairs.Order#Q6_K}) activations: one
 * tile of one group of eight rows for one token, int lane i = row i throughout.
 *
 * <p>Per step (superblock, quad Q, half: two ql chunks and their qh word) each extraction of a chunk puts two unsigned
 * 6-bit weights (nibble | high bits, 0..63) in the 16-bit halves of row i's int lane; they multiply the activation pairs
 * and four such products are summed per 16-bit lane (at most 4 · 63 · 128 = 32256: exact), then the halves are added
 * into int lanes. Two steps complete the quad's two 16-element sub-blocks; {@code (Σ q · y - 32 Σ y) · scale} (ggml's
 * {@code (q - 32)} with the offset taken out through the activations' sums) is added to the superblock's int32 sum
 * (exact, as in ggml), and at the last quad {@code acc = fma(isum, d · d_y, acc)}: ggml's integers in another float
 * order (within {@link #errorBound} of the exact sum), the same bits for a token whatever the batch.
 */
final class Q6_Kx8Kernel {
    private Q6_Kx8Kernel() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final int NIBBLES = 0x000F000F, HIGH = 0x00300030;

    /**
     * Tile t of group g for token j: {@code out[o .. o + 8)} = rows 8g..8g+7, accumulated onto what is there (the caller
     * zeroes it before tile 0, see {@link Q4_0x8Kernel#tile1}).
     */
    static void tile1(Q6_Kx8 w, int g, int t, Q8KPairs a, int j, float[] out, int o) {
        MemorySegment pk = w.data;
        int first = t * Q6_Kx8.TILE, nb = w.tileBlocks(t);
        long rec0 = w.offset(g, first);
        int sb0 = j * w.blocks + first;
        short[] ps = a.pairs;
        int[] ys = a.sums;
        float[] dy = a.scales;
        FloatVector acc = FloatVector.fromArray(F, out, o);
        int touched = 0;
        IntVector isum = IntVector.zero(I), ilo = isum, ihi = isum;
        for (int step = 0; step < 16 * nb; step++) {
            int sb = step >>> 4, quad = (step >>> 1) & 7, half = step & 1;
            long rec = rec0 + (long) sb * Q6_Kx8.RECORD;
            long c = rec + Q6_Kx8.QL + 128L * quad + 64L * half;
            touched ^= Prefetch.lines(pk, rec + Prefetch.DISTANCE + 128L * (step & 15), 2);   // 16 steps, 1680 bytes per record
            int q = (sb0 + sb) * 2048 + 256 * quad + 128 * half;
            IntVector x0 = IntVector.fromMemorySegment(I, pk, c, Lanes.LE);
            IntVector x1 = IntVector.fromMemorySegment(I, pk, c + 32, Lanes.LE);
            IntVector h = IntVector.fromMemorySegment(I, pk, rec + Q6_Kx8.QH + 64L * quad + 32L * half, Lanes.LE);
            // chunk 0's high bits at 2e (h = 0) and 16 + 2e (h = 1), chunk 1's 8 higher: each moved to bits 4-5 / 20-21
            ShortVector lo = x0.and(NIBBLES).or(h.lanewise(LSHL, 4).and(HIGH)).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q))
                    .add(x0.lanewise(LSHR, 8).and(NIBBLES).or(h.and(HIGH)).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 32)))
                    .add(x1.and(NIBBLES).or(h.lanewise(LSHR, 4).and(HIGH)).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 64)))
                    .add(x1.lanewise(LSHR, 8).and(NIBBLES).or(h.lanewise(LSHR, 8).and(HIGH)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S, ps, q + 96)));
            ShortVector hi = x0.lanewise(LSHR, 4).and(NIBBLES).or(h.lanewise(LSHL, 2).and(HIGH)).reinterpretAsShorts()
                    .mul(ShortVector.fromArray(S, ps, q + 16))
                    .add(x0.lanewise(LSHR, 12).and(NIBBLES).or(h.lanewise(LSHR, 2).and(HIGH)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S, ps, q + 48)))
                    .add(x1.lanewise(LSHR, 4).and(NIBBLES).or(h.lanewise(LSHR, 6).and(HIGH)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S, ps, q + 80)))
                    .add(x1.lanewise(LSHR, 12).and(NIBBLES).or(h.lanewise(LSHR, 10).and(HIGH)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S, ps, q + 112)));
            IntVector li = lo.reinterpretAsInts(), hv = hi.reinterpretAsInts();
            ilo = ilo.add(li.lanewise(LSHL, 16).lanewise(ASHR, 16).add(li.lanewise(ASHR, 16)));
            ihi = ihi.add(hv.lanewise(LSHL, 16).lanewise(ASHR, 16).add(hv.lanewise(ASHR, 16)));
            if (half == 0) continue;
            int y = (sb0 + sb) * 16 + 2 * quad;
            IntVector slo = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 16 + 16L * quad, Lanes.LE).convertShape(B2I, I, 0);
            IntVector shi = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 24 + 16L * quad, Lanes.LE).convertShape(B2I, I, 0);
            isum = isum.add(ilo.sub(ys[y]).mul(slo)).add(ihi.sub(ys[y + 1]).mul(shi));
            ilo = IntVector.zero(I);
            ihi = ilo;
            if (quad == 7) {
                // the eight fp16 d to float, as in Q4_0x8Kernel
                IntVector hd = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, rec, Lanes.LE).convertShape(S2I, I, 0);
                FloatVector d = hd.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hd.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                acc = ((FloatVector) isum.convert(I2F, 0)).fma(d.mul(dy[sb0 + sb]), acc);
                isum = IntVector.zero(I);
            }
        }
        acc.intoArray(out, o);
        Prefetch.keep(touched);
    }

    /**
     * A bound on |kernel - exact| for one output, given Σ over its superblocks of |d · d_y · isum|: the integers are exact;
     * per superblock the int-to-float conversion, the product d · d_y and the FMA round, over {@code blocks} steps.
     */
    static double errorBound(int blocks, double absTerms) {
        return 2.0 * (blocks + 3) * Math.ulp(1.0f) * absTerms;
    }
}
