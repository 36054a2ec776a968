package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The decode kernel of {@link Q4_0x8} weights against {@link Q8Pairs} activations: one tile of one group of eight rows,
 * for one token.
 *
 * <p>Per record (block b of rows 8g..8g+7) and token: each 256-bit chunk c holds four quant bytes of each row, int lane i =
 * row i; its nibbles, masked in place ({@code (x >>> s) & 0x000F000F} for s = 0, 8, 4, 12), give 16 short lanes = two
 * elements of each of the eight rows, which are multiplied by the matching activation pairs and summed in 16-bit lanes
 * over the four chunks (exact: 16 products of a nibble 0..15 and an int8 of at most 127 in magnitude stay below 2^15).
 * Adding each int lane's two halves gives row i's Σ nibble · y, and {@code - 8 Σ y} makes it Σ (nibble - 8) · y, the
 * block's integer dot, exactly ggml's. Then, as in ggml, {@code acc = fma(float(sum), d_w · d_y, acc)} per block, in block
 * order, lane i = row i: the float result differs from ggml's AVX2 kernel (which keeps eight partial lanes per row and adds
 * them at the end) by rounding only (see {@link #errorBound}); a batch runs every token through the same kernel, so a
 * decoded token's logits do not depend on the batch.
 *
 * <p>The expressions are written out (no vector-valued helpers), as {@link Lanes} explains.
 */
final class Q4_0x8Kernel {
    private Q4_0x8Kernel() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /**
     * Tile t of group g for token j of {@code a}: {@code out[o .. o + 8)} = rows 8g..8g+7, accumulated onto what is
     * there (the caller zeroes it before tile 0). No branch depends on t: the CPU kernels are compiled by C2 after a few
     * calls ({@code ./ember}'s CompileThresholdScaling), and a branch not yet taken then (t > 0) deoptimized and
     * recompiled the kernel, sometimes into code whose vector operations were no longer intrinsified (2-4x slower decode).
     */
    static void tile1(Q4_0x8 w, int g, int t, Q8Pairs a, int j, float[] out, int o) {
        MemorySegment pk = w.data;
        int b0 = t * Q4_0x8.TILE, b1 = b0 + w.tileBlocks(t);
        long p = w.offset(g, b0);
        int ab = j * w.blocks;
        short[] ps = a.pairs;
        int[] sums = a.sums8;
        float[] dy = a.scales;
        FloatVector acc = FloatVector.fromArray(F, out, o);
        for (int b = b0; b < b1; b++, p += Q4_0x8.RECORD) {
            int q = (ab + b) * 256;
            IntVector x0 = IntVector.fromMemorySegment(I, pk, p + 16, Lanes.LE);
            IntVector x1 = IntVector.fromMemorySegment(I, pk, p + 48, Lanes.LE);
            IntVector x2 = IntVector.fromMemorySegment(I, pk, p + 80, Lanes.LE);
            IntVector x3 = IntVector.fromMemorySegment(I, pk, p + 112, Lanes.LE);
            ShortVector s0 = x0.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q))
                    .add(x0.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 16)))
                    .add(x0.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 32)))
                    .add(x0.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 48)));
            ShortVector s1 = x1.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 64))
                    .add(x1.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 80)))
                    .add(x1.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 96)))
                    .add(x1.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 112)));
            ShortVector s2 = x2.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 128))
                    .add(x2.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 144)))
                    .add(x2.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 160)))
                    .add(x2.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 176)));
            ShortVector s3 = x3.and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 192))
                    .add(x3.lanewise(LSHR, 8).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 208)))
                    .add(x3.lanewise(LSHR, 4).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 224)))
                    .add(x3.lanewise(LSHR, 12).and(0x000F000F).reinterpretAsShorts().mul(ShortVector.fromArray(S, ps, q + 240)));
            IntVector si = s0.add(s1).add(s2.add(s3)).reinterpretAsInts();
            IntVector sum = si.lanewise(LSHL, 16).lanewise(ASHR, 16).add(si.lanewise(ASHR, 16)).sub(sums[ab + b]);
            // the eight fp16 scales to float: (h & 0x7fff) << 13 scaled by 2^112 is exact for normals and subnormals
            IntVector h = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, p, Lanes.LE).convertShape(S2I, I, 0);
            FloatVector d = h.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            acc = ((FloatVector) sum.convert(I2F, 0)).fma(d.mul(dy[ab + b]), acc);
        }
        acc.intoArray(out, o);
    }

    /**
     * A bound on |kernel - exact| for one output, given Σ_b |d_w · d_y · Σ (nibble - 8) · y| over its blocks: the integer
     * sums are exact; each block adds one rounding of d_w · d_y and one of the FMA (2 units in the last place of float),
     * accumulated over at most {@code blocks} steps.
     */
    static double errorBound(int blocks, double absTerms) {
        return 2.0 * (blocks + 1) * Math.ulp(1.0f) * absTerms;
    }
}
