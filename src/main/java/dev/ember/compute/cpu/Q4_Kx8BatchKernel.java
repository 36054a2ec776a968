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
 * The batched decode kernel of {@link Q4_Kx8} weights, as {@link Q4_0x8BatchKernel} is for Q4_0: four groups of eight
 * rows × four tokens per call, half a superblock at a time, with the bits of {@link Q4_Kx8Kernel#tile1} for every output.
 *
 * <p>A record half (sub-blocks 4h..4h+3 of rows 8g..8g+7) is expanded once into 128 vectors of eight floats, the nibble
 * times its sub-block's 6-bit scale (at most 63 · 15 = 945), in {@link #element} order; per token the half's
 * Σ scale · nibble · y is 128 FMAs of those vectors with the token's int8 elements broadcast. Every partial sum is an
 * integer of magnitude at most 128 · 945 · 128 < 2^24, so the float sum is exact; converted to int and added over the
 * two halves it is tile1's {@code isum} (which may exceed 2^24, so the two halves meet as ints, not as floats). The mins
 * term is tile1's integer Σ_j m_j · (Σ y over sub-block j), and the two FMAs per superblock follow as there, in order.
 *
 * <p>Expanded weights: {@code wf[slot · 1024 + 8e + i]} for row 8g + i, expanded element e of the half; {@code wd[16 ·
 * slot ..]} d then dmin of the eight rows; {@code wm[64 · slot + 8j + i]} the min of sub-block j of row 8g + i.
 */
final class Q4_Kx8BatchKernel {
    private Q4_Kx8BatchKernel() {}

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /** Floats per expanded record half. */
    static final int EXPANDED = 1024;

    /**
     * The superblock element (0..255) that expanded element e = 64p + 8k + q of the whole superblock holds (pair p,
     * chunk k, nibble q of each row's int lane): byte 4k + q/2 of the pair, low nibble (sub-block 2p) for even q, high
     * (sub-block 2p + 1) for odd. Half h is e = 128h .. 128h + 127. {@link Q8KPairs#floats} uses the same order.
     */
    static int element(int e) {
        int p = e >>> 6, k = (e >>> 3) & 7, q = e & 7;
        return 64 * p + 32 * (q & 1) + 4 * k + (q >>> 1);
    }

    /**
     * Expands half h of record (g, b) into slot {@code slot}; with h = 0 also the record's d, dmin and mins (which
     * stay valid for h = 1). One call per chunk: with the whole half in one method C2 ran out of its inlining budget
     * and left the Vector API's loads as calls into their Java fallbacks (2-8x slower, KernelBench).
     */
    static void expand(Q4_Kx8 w, int g, int b, int h, float[] wf, float[] wd, int[] wm, int slot) {
        MemorySegment pk = w.data;
        long rec = w.offset(g, b);
        for (int ck = 0; ck < 16; ck++) chunk(pk, rec, 2 * h + (ck >>> 3), ck & 7, wf, slot * EXPANDED + 8 * (64 * (ck >>> 3) + 8 * (ck & 7)));
        if (h == 0) scales(pk, rec, wd, wm, slot);
    }

    /** Chunk k of pair p of the record at {@code rec}: its eight nibbles per row times their sub-block's scale, at wf[o ..]. */
    private static void chunk(MemorySegment pk, long rec, int p, int k, float[] wf, int o) {
        // the scales of sub-blocks 2p (low nibbles) and 2p + 1 (high nibbles)
        FloatVector lo = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 32 + 16 * p, Lanes.LE)
                .convertShape(B2I, I, 0)).convert(I2F, 0);
        FloatVector hi = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 40 + 16 * p, Lanes.LE)
                .convertShape(B2I, I, 0)).convert(I2F, 0);
        IntVector x = IntVector.fromMemorySegment(I, pk, rec + 160 + 256L * p + 32L * k, Lanes.LE);
        ((FloatVector) x.and(0xF).convert(I2F, 0)).mul(lo).intoArray(wf, o);
        ((FloatVector) x.lanewise(LSHR, 4).and(0xF).convert(I2F, 0)).mul(hi).intoArray(wf, o + 8);
        ((FloatVector) x.lanewise(LSHR, 8).and(0xF).convert(I2F, 0)).mul(lo).intoArray(wf, o + 16);
        ((FloatVector) x.lanewise(LSHR, 12).and(0xF).convert(I2F, 0)).mul(hi).intoArray(wf, o + 24);
        ((FloatVector) x.lanewise(LSHR, 16).and(0xF).convert(I2F, 0)).mul(lo).intoArray(wf, o + 32);
        ((FloatVector) x.lanewise(LSHR, 20).and(0xF).convert(I2F, 0)).mul(hi).intoArray(wf, o + 40);
        ((FloatVector) x.lanewise(LSHR, 24).and(0xF).convert(I2F, 0)).mul(lo).intoArray(wf, o + 48);
        ((FloatVector) x.lanewise(LSHR, 28).and(0xF).convert(I2F, 0)).mul(hi).intoArray(wf, o + 56);
    }

    /** The record's mins (as ints) and its d and dmin (to float exactly as Q4_Kx8Kernel.tile1 converts them). */
    private static void scales(MemorySegment pk, long rec, float[] wd, int[] wm, int slot) {
        for (int j = 0; j < 8; j++) {
            ((IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, pk, rec + 96 + 8 * j, Lanes.LE).convertShape(B2I, I, 0))
                    .intoArray(wm, 64 * slot + 8 * j);
        }
        for (int f = 0; f < 2; f++) {
            IntVector hd = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, rec + 16 * f, Lanes.LE).convertShape(S2I, I, 0);
            hd.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(hd.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().intoArray(wd, 16 * slot + 8 * f);
        }
    }

    /**
     * Half h of superblock b (expanded in slots 0..3 = groups g..g+3) for tokens j..j+3 of {@code a}: h = 0 stores the
     * half's integer sums in {@code isum[io + 8 · (4m + s) ..]} (token j + m, slot s), h = 1 adds its own; then
     * {@link #finish}. (Two methods: in one, C1 ran out of virtual registers compiling it with a profile, and the C2 code
     * made without one ran 3-8x slower.)
     */
    static void half(Q4_Kx8 w, int b, int h, float[] wf, Q8KPairs a, int j, float[] c, int[] isum, int io) {
        int nb = w.blocks, y0 = (j * nb + b) * 256 + 128 * h, step = nb * 256;
        // Σ scale · nibble · y over the half per slot and token: at most 128 · 945 · 128 < 2^24 in magnitude, exact
        ExactFma4x4.run(wf, 0, EXPANDED, a.floats, y0, y0 + step, y0 + 2 * step, y0 + 3 * step, 128, c);
        for (int v = 0; v < 16; v++) {
            IntVector sum = (IntVector) FloatVector.fromArray(F, c, 8 * v).convert(F2I, 0);
            if (h == 0) sum.intoArray(isum, io + 8 * v);
            else sum.add(IntVector.fromArray(I, isum, io + 8 * v)).intoArray(isum, io + 8 * v);
        }
    }

    /**
     * Superblock b's two terms for tokens j..j+3 and the four slots, once {@link #half} has put its integer sums (both
     * halves) in {@code isum}: as tile1 adds them, onto {@code out[o + 8s + m · rows ..+8)}.
     */
    static void finish(Q4_Kx8 w, int b, float[] wd, int[] wm, Q8KPairs a, int j, int[] isum, int io, float[] out, int o,
                       int rows) {
        int[] ys = a.sums;
        float[] dy = a.scales;
        for (int m = 0; m < 4; m++) {
            int sb = (j + m) * w.blocks + b, z = sb * 16;
            float e = dy[sb];
            for (int s = 0; s < 4; s++) {
                int u = 64 * s, at = o + 8 * s + m * rows;
                // written out: a vector carried around a loop here was sometimes left boxed by C2 (30-50 ms calls)
                IntVector ms = IntVector.fromArray(I, wm, u).mul(ys[z])
                        .add(IntVector.fromArray(I, wm, u + 8).mul(ys[z + 1]))
                        .add(IntVector.fromArray(I, wm, u + 16).mul(ys[z + 2]))
                        .add(IntVector.fromArray(I, wm, u + 24).mul(ys[z + 3]))
                        .add(IntVector.fromArray(I, wm, u + 32).mul(ys[z + 4]))
                        .add(IntVector.fromArray(I, wm, u + 40).mul(ys[z + 5]))
                        .add(IntVector.fromArray(I, wm, u + 48).mul(ys[z + 6]))
                        .add(IntVector.fromArray(I, wm, u + 56).mul(ys[z + 7]));
                FloatVector acc = ((FloatVector) IntVector.fromArray(I, isum, io + 8 * (4 * m + s)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F, wd, 16 * s).mul(e), FloatVector.fromArray(F, out, at));
                ((FloatVector) ms.convert(I2F, 0)).fma(FloatVector.fromArray(F, wd, 16 * s + 8).mul(e).neg(), acc).intoArray(out, at);
            }
        }
    }
}
