package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.F2I;
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
 * The batched decode kernel of {@link Q6_Kx8} weights, as {@link Q4_Kx8BatchKernel} is for Q4_K: four groups of eight
 * rows × four tokens per call, half a superblock at a time, with the bits of {@link Q6_Kx8Kernel#tile1} for every output.
 *
 * <p>A record half (quads 4h..4h+3, each two 16-element sub-blocks) is expanded once into 128 vectors of eight floats,
 * {@code scale · (q - 32)} (at most 128 · 32 = 4096 in magnitude), in {@link #element} order; per token and quad, 32 FMAs
 * with the token's int8 elements broadcast give the quad's {@code Σ scale · (q - 32) · y}: every partial sum is an
 * integer of magnitude at most 32 · 4096 · 128 = 2^24, exact in a float. Converted to int, the eight quads' sums add up
 * to tile1's {@code isum} (ggml's q - 32 taken into the weights here instead of out through the activation sums: the
 * same integer), and {@code acc = fma(isum, d · d_y, acc)} follows as there.
 *
 * <p>Expanded weights: {@code wf[slot · 1024 + 8e + i]} for row 8g + i, expanded element e of the half; {@code wd[8 ·
 * slot + i]} the row's d.
 */
final class Q6_Kx8BatchKernel {
    private Q6_Kx8BatchKernel() {}

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /** Floats per expanded record half. */
    static final int EXPANDED = 1024;

    /**
     * The superblock element (0..255) that expanded element e = 32Q + 8c + 2x + h of the superblock holds: quad Q, ql
     * chunk 4Q + c, extraction x, lane half h ({@link Q6_Kx8#element}). Half h of the superblock is e = 128h .. 128h + 127;
     * {@link Q8KPairs#floats} uses the same order.
     */
    static int element(int e) {
        int q = e >>> 5, c = (e >>> 3) & 3, x = (e >>> 1) & 3, h = e & 1;
        return Q6_Kx8.element(4 * q + c, x, h);
    }

    /**
     * Expands half h of record (g, b) into slot {@code slot}; with h = 0 also the record's eight d. One call per ql chunk
     * (see {@link Q4_Kx8BatchKernel#expand}: C2's inlining budget).
     */
    static void expand(Q6_Kx8 w, int g, int b, int h, float[] wf, float[] wd, int slot) {
        MemorySegment pk = w.data;
        long rec = w.offset(g, b);
        for (int qc = 0; qc < 16; qc++) chunk(pk, rec, 4 * h + (qc >>> 2), qc & 3, wf, slot * EXPANDED + 8 * (32 * (qc >>> 2) + 8 * (qc & 3)));
        if (h == 0) scale(pk, rec, wd, slot);
    }

    /** Chunk c of quad q of the record at {@code rec}: its eight values per row, scale · (q - 32), at wf[o ..]. */
    private static void chunk(MemorySegment pk, long rec, int q, int c, float[] wf, int o) {
        // the scales of the quad's even (part 0) and odd (part 1) extractions
        FloatVector s0 = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 16 + 16L * q, Lanes.LE)
                .convertShape(B2I, I, 0)).convert(I2F, 0);
        FloatVector s1 = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 24 + 16L * q, Lanes.LE)
                .convertShape(B2I, I, 0)).convert(I2F, 0);
        IntVector x = IntVector.fromMemorySegment(I, pk, rec + Q6_Kx8.QL + 32L * (4 * q + c), Lanes.LE);
        IntVector hb = IntVector.fromMemorySegment(I, pk, rec + Q6_Kx8.QH + 32L * (2 * q + (c >>> 1)), Lanes.LE)
                .lanewise(LSHR, 8 * (c & 1));
        // expanded element 2x + h: extraction x's nibble in lane half h, (ql >>> 4x + 16h) & 15, its high bits
        // (qh >>> 2x + 16h) & 3
        ((FloatVector) x.and(0xF).or(hb.and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s0)
                .intoArray(wf, o);
        ((FloatVector) x.lanewise(LSHR, 16).and(0xF).or(hb.lanewise(LSHR, 16).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s0)
                .intoArray(wf, o + 8);
        ((FloatVector) x.lanewise(LSHR, 4).and(0xF).or(hb.lanewise(LSHR, 2).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s1)
                .intoArray(wf, o + 16);
        ((FloatVector) x.lanewise(LSHR, 20).and(0xF).or(hb.lanewise(LSHR, 18).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s1)
                .intoArray(wf, o + 24);
        ((FloatVector) x.lanewise(LSHR, 8).and(0xF).or(hb.lanewise(LSHR, 4).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s0)
                .intoArray(wf, o + 32);
        ((FloatVector) x.lanewise(LSHR, 24).and(0xF).or(hb.lanewise(LSHR, 20).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s0)
                .intoArray(wf, o + 40);
        ((FloatVector) x.lanewise(LSHR, 12).and(0xF).or(hb.lanewise(LSHR, 6).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s1)
                .intoArray(wf, o + 48);
        ((FloatVector) x.lanewise(LSHR, 28).and(0xF).or(hb.lanewise(LSHR, 22).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(s1)
                .intoArray(wf, o + 56);
    }

    /** The record's eight d, to float exactly as Q6_Kx8Kernel.tile1 converts them. */
    private static void scale(MemorySegment pk, long rec, float[] wd, int slot) {
        IntVector hd = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, rec, Lanes.LE).convertShape(S2I, I, 0);
        hd.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                .reinterpretAsInts().or(hd.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().intoArray(wd, 8 * slot);
    }

    /**
     * Half h of superblock b (expanded in slots 0..3 = groups g..g+3) for tokens j..j+3 of {@code a}: the quads' integer
     * sums go into {@code isum[io + 8 · (4m + s) ..]} (token j + m, slot s; h = 0 starts them); after h = 1,
     * {@link #finish} adds the superblock's term onto {@code out[o + 8s + m · rows ..+8)}.
     */
    static void half(Q6_Kx8 w, int b, int h, float[] wf, Q8KPairs a, int j, float[] c, int[] isum, int io) {
        int nb = w.blocks, step = nb * 256;
        for (int qq = 0; qq < 4; qq++) {
            int y0 = (j * nb + b) * 256 + 128 * h + 32 * qq;
            // Σ scale · (q - 32) · y over the quad per slot and token: at most 32 · 4096 · 128 = 2^24 in magnitude, exact
            ExactFma4x4.run(wf, 256 * qq, EXPANDED, a.floats, y0, y0 + step, y0 + 2 * step, y0 + 3 * step, 32, c);
            for (int v = 0; v < 16; v++) {
                IntVector sum = (IntVector) FloatVector.fromArray(F, c, 8 * v).convert(F2I, 0);
                if (h == 0 && qq == 0) sum.intoArray(isum, io + 8 * v);
                else sum.add(IntVector.fromArray(I, isum, io + 8 * v)).intoArray(isum, io + 8 * v);
            }
        }
    }

    /** Superblock b's term for tokens j..j+3 and the four slots, from {@link #half}'s sums, as tile1 adds it. */
    static void finish(Q6_Kx8 w, int b, float[] wd, Q8KPairs a, int j, int[] isum, int io, float[] out, int o, int rows) {
        float[] dy = a.scales;
        for (int m = 0; m < 4; m++) {
            float e = dy[(j + m) * w.blocks + b];
            for (int s = 0; s < 4; s++) {
                int at = o + 8 * s + m * rows;
                ((FloatVector) IntVector.fromArray(I, isum, io + 8 * (4 * m + s)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F, wd, 8 * s).mul(e), FloatVector.fromArray(F, out, at)).intoArray(out, at);
            }
        }
    }
}
