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
 * The decode kernel of {@link Q4_Kx8} weights against {@link Q8KPairs} activations: one tile of one group of eight rows
 * for one token, int lane i = row i throughout.
 *
 * <p>Per record (superblock b) and sub-block pair p: the eight chunks' nibbles, masked in place as in {@link Q4_0x8Kernel},
 * times the activation pairs, summed in 16-bit lanes (low nibbles: sub-block 2p, high: 2p + 1; 16 products of at most
 * 15 · 127 per lane, exact); the two halves of each int lane added give row i's Σ q · y per sub-block, which times the
 * sub-block's scale is summed over the superblock in int32 (exact, as in ggml). The mins term Σ_j m_j · (Σ y over
 * sub-block j) is exact too. Then {@code acc = fma(isum, d · d_y, acc)} and {@code acc = fma(msum, -(dmin · d_y), acc)}
 * per superblock, in order: ggml's integers in another float order (within {@link #errorBound} of the exact sum), and
 * the same bits for a token whatever the batch (every token runs this one kernel).
 *
 * <p>The loop runs over (superblock, pair, half-pair) steps, four chunks each, and folds a pair into the int sum at its
 * second half and a superblock into the float accumulator at its last pair: no vector stays live across an inner loop
 * ({@link Lanes}), and the method stays small enough for C1 (eight chunks per step ran out of its virtual registers,
 * leaving the kernel in the interpreter).
 */
final class Q4_Kx8Kernel {
    private Q4_Kx8Kernel() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /**
     * Tile t of group g for token j: {@code out[o .. o + 8)} = rows 8g..8g+7, accumulated onto what is there (the caller
     * zeroes it before tile 0; no branch on t, see {@link Q4_0x8Kernel#tile1}).
     */
    static void tile1(Q4_Kx8 w, int g, int t, Q8KPairs a, int j, float[] out, int o) {
        MemorySegment pk = w.data;
        int first = t * Q4_Kx8.TILE, nb = w.tileBlocks(t);
        long rec0 = w.offset(g, first);
        int sb0 = j * w.blocks + first;
        short[] ps = a.pairs;
        int[] ys = a.sums;
        float[] dy = a.scales;
        FloatVector acc = FloatVector.fromArray(F, out, o);
        IntVector isum = IntVector.zero(I);
        ShortVector sa = ShortVector.zero(S), sb16 = sa;   // 16-bit sums of the current pair's two sub-blocks
        for (int step = 0; step < 8 * nb; step++) {
            int sb = step >>> 3, p = (step >>> 1) & 3, half = step & 1;
            long rec = rec0 + (long) sb * Q4_Kx8.RECORD, c = rec + 160 + 256L * p + 128L * half;
            int q = (sb0 + sb) * 2048 + 512 * p + 256 * half;
            IntVector x0 = IntVector.fromMemorySegment(I, pk, c + 0, Lanes.LE);
            IntVector x1 = IntVector.fromMemorySegment(I, pk, c + 32, Lanes.LE);
            IntVector x2 = IntVector.fromMemorySegment(I, pk, c + 64, Lanes.LE);
            IntVector x3 = IntVector.fromMemorySegment(I, pk, c + 96, Lanes.LE);
            ShortVector a0 = x0.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 0))
                    .add(x0.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 16)));
            ShortVector b0 = x0.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 32))
                    .add(x0.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 48)));
            ShortVector a1 = x1.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 64))
                    .add(x1.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 80)));
            ShortVector b1 = x1.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 96))
                    .add(x1.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 112)));
            ShortVector a2 = x2.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 128))
                    .add(x2.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 144)));
            ShortVector b2 = x2.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 160))
                    .add(x2.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 176)));
            ShortVector a3 = x3.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 192))
                    .add(x3.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 208)));
            ShortVector b3 = x3.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 224))
                    .add(x3.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 240)));
            sa = sa.add(a0.add(a1).add(a2.add(a3)));
            sb16 = sb16.add(b0.add(b1).add(b2.add(b3)));
            if (half == 0) continue;
            IntVector sai = sa.reinterpretAsInts(), sbi = sb16.reinterpretAsInts();
            IntVector ia = sai.lanewise(LSHL, 16).lanewise(ASHR, 16).add(sai.lanewise(ASHR, 16));
            IntVector ib = sbi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(sbi.lanewise(ASHR, 16));
            sa = ShortVector.zero(S);
            sb16 = sa;
            IntVector sca = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 32 + 16 * p, Lanes.LE).convertShape(B2I, I, 0);
            IntVector scb = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 40 + 16 * p, Lanes.LE).convertShape(B2I, I, 0);
            isum = isum.add(ia.mul(sca)).add(ib.mul(scb));
            if (p == 3) {
                int y = (sb0 + sb) * 16;
                IntVector msum = ((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 96, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 0])
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 104, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 1]))
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 112, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 2]))
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 120, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 3]))
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 128, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 4]))
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 136, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 5]))
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 144, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 6]))
                        .add(((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 152, Lanes.LE).convertShape(B2I, I, 0)).mul(ys[y + 7]));
                // the eight fp16 d and dmin to float, as in Q4_0x8Kernel
                IntVector hd = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, rec, Lanes.LE).convertShape(S2I, I, 0);
                IntVector hm = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, rec + 16, Lanes.LE).convertShape(S2I, I, 0);
                FloatVector d = hd.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hd.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                FloatVector dm = hm.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(hm.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                float dys = dy[sb0 + sb];
                acc = ((FloatVector) isum.convert(I2F, 0)).fma(d.mul(dys), acc);
                acc = ((FloatVector) msum.convert(I2F, 0)).fma(dm.mul(dys).neg(), acc);
                isum = IntVector.zero(I);
            }
        }
        acc.intoArray(out, o);
    }

    /**
     * A bound on |kernel - exact| for one output, given Σ over its superblocks of |d · d_y · isum| + |dmin · d_y · msum|:
     * the integers are exact; per superblock two products and two FMAs round, over 2 · blocks steps.
     */
    static double errorBound(int blocks, double absTerms) {
        return 2.0 * (2 * blocks + 1) * Math.ulp(1.0f) * absTerms;
    }
}
