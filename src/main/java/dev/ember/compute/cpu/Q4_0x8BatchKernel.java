package dev.ember.compute.cpu;

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
 * The batched decode kernel of {@link Q4_0x8} weights: four groups of eight rows × four tokens per call, one block, with
 * the bits of {@link Q4_0x8Kernel#tile1} for every output (so a token's logits still do not depend on its batch).
 *
 * <p>Integer sums in float FMAs: each record (group g, block b) is expanded once into 32 vectors of eight floats, vector
 * e = nibble e of the block (0..15, not yet offset by 8) of rows 8g..8g+7, in {@link Q8Pairs#floats}' element order;
 * then per token the block's Σ nibble · y is 32 FMAs of those vectors with the token's int8 elements broadcast. Every
 * product and partial sum is an integer below 2^24 in magnitude (32 · 15 · 127 = 60960), so the float sum is exact in any
 * order and equals the 16-bit kernel's integer; {@code - 8 Σ y} and {@code acc = fma(sum, d_w · d_y, acc)} follow as
 * there, in block order. One loaded weight vector serves four tokens and one broadcast serves four groups: 16 independent
 * FMA chains per call, 8 loads per 16 FMAs. A float FMA does 8 multiply-adds where the 16-bit kernel's multiply does 16,
 * but the unpacking is paid once per record instead of once per token: 16 tokens cost about 1.2x less than 16 one-token
 * calls, 64 tokens 1.6x (perf/RESULTS.md, twelfth session).
 *
 * <p>Expanded weights: {@code wf[slot · 256 + 8e + i]} for row 8g + i, element e; {@code wd[8 · slot + i]} its scale.
 */
final class Q4_0x8BatchKernel {
    private Q4_0x8BatchKernel() {}

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /** Floats per expanded record. */
    static final int EXPANDED = 256;

    /**
     * Expands record (g, b) into slot {@code slot} of {@code wf} / {@code wd}: nibble q of chunk c (bits 4q..4q+3 of
     * each row's int lane) is element 8c + q, which {@link Q8Pairs#floats} maps to the block's element
     * {@code 4c + q/2} (q even, low nibbles) or {@code 16 + 4c + q/2} (q odd, high nibbles).
     */
    static void expand(Q4_0x8 w, int g, int b, float[] wf, float[] wd, int slot) {
        MemorySegment pk = w.data;
        long p = w.offset(g, b);
        int u = slot * EXPANDED;
        // written out per chunk: no vector may stay live across a loop (Lanes)
        for (int c = 0; c < 4; c++) {
            IntVector x = IntVector.fromMemorySegment(I, pk, p + 16 + 32 * c, Lanes.LE);
            ((FloatVector) x.and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c);
            ((FloatVector) x.lanewise(LSHR, 4).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 8);
            ((FloatVector) x.lanewise(LSHR, 8).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 16);
            ((FloatVector) x.lanewise(LSHR, 12).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 24);
            ((FloatVector) x.lanewise(LSHR, 16).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 32);
            ((FloatVector) x.lanewise(LSHR, 20).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 40);
            ((FloatVector) x.lanewise(LSHR, 24).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 48);
            ((FloatVector) x.lanewise(LSHR, 28).and(0xF).convert(I2F, 0)).intoArray(wf, u + 64 * c + 56);
        }
        // the eight fp16 scales to float exactly as Q4_0x8Kernel.tile1 converts them
        IntVector h = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, pk, p, Lanes.LE).convertShape(S2I, I, 0);
        h.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                .reinterpretAsInts().or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().intoArray(wd, 8 * slot);
    }

    /**
     * Block b of the four groups expanded in slots 0..3 (groups g..g+3), for tokens j..j+3 of {@code a}: adds each block's
     * term onto {@code out[o + 8s + m · rows ..+8)} (slot s, token j + m), as tile1 adds it onto its accumulator.
     */
    static void block(Q4_0x8 w, int b, float[] wf, float[] wd, Q8Pairs a, int j, float[] out, int o, int rows) {
        int nb = w.blocks;
        int a0 = j * nb + b, a1 = a0 + nb, a2 = a1 + nb, a3 = a2 + nb;
        int y0 = a0 * 32, y1 = a1 * 32, y2 = a2 * 32, y3 = a3 * 32;
        float[] y = a.floats;
        // c{slot}{token}: [8] rows of the slot, Σ nibble · y of the block for the token
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int e = 0; e < 32; e++) {
            FloatVector w0 = FloatVector.fromArray(F, wf, 8 * e);
            FloatVector w1 = FloatVector.fromArray(F, wf, 256 + 8 * e);
            FloatVector w2 = FloatVector.fromArray(F, wf, 512 + 8 * e);
            FloatVector w3 = FloatVector.fromArray(F, wf, 768 + 8 * e);
            FloatVector x0 = FloatVector.broadcast(F, y[y0 + e]);
            FloatVector x1 = FloatVector.broadcast(F, y[y1 + e]);
            FloatVector x2 = FloatVector.broadcast(F, y[y2 + e]);
            FloatVector x3 = FloatVector.broadcast(F, y[y3 + e]);
            c00 = w0.fma(x0, c00);
            c10 = w1.fma(x0, c10);
            c20 = w2.fma(x0, c20);
            c30 = w3.fma(x0, c30);
            c01 = w0.fma(x1, c01);
            c11 = w1.fma(x1, c11);
            c21 = w2.fma(x1, c21);
            c31 = w3.fma(x1, c31);
            c02 = w0.fma(x2, c02);
            c12 = w1.fma(x2, c12);
            c22 = w2.fma(x2, c22);
            c32 = w3.fma(x2, c32);
            c03 = w0.fma(x3, c03);
            c13 = w1.fma(x3, c13);
            c23 = w2.fma(x3, c23);
            c33 = w3.fma(x3, c33);
        }
        int[] s8 = a.sums8;
        float[] dy = a.scales;
        FloatVector d0 = FloatVector.fromArray(F, wd, 0);
        FloatVector d1 = FloatVector.fromArray(F, wd, 8);
        FloatVector d2 = FloatVector.fromArray(F, wd, 16);
        FloatVector d3 = FloatVector.fromArray(F, wd, 24);
        float s0 = s8[a0], e0 = dy[a0];
        float s1 = s8[a1], e1 = dy[a1];
        float s2 = s8[a2], e2 = dy[a2];
        float s3 = s8[a3], e3 = dy[a3];
        c00.sub(s0).fma(d0.mul(e0), FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c10.sub(s0).fma(d1.mul(e0), FloatVector.fromArray(F, out, o + 8)).intoArray(out, o + 8);
        c20.sub(s0).fma(d2.mul(e0), FloatVector.fromArray(F, out, o + 16)).intoArray(out, o + 16);
        c30.sub(s0).fma(d3.mul(e0), FloatVector.fromArray(F, out, o + 24)).intoArray(out, o + 24);
        c01.sub(s1).fma(d0.mul(e1), FloatVector.fromArray(F, out, o + rows)).intoArray(out, o + rows);
        c11.sub(s1).fma(d1.mul(e1), FloatVector.fromArray(F, out, o + 8 + rows)).intoArray(out, o + 8 + rows);
        c21.sub(s1).fma(d2.mul(e1), FloatVector.fromArray(F, out, o + 16 + rows)).intoArray(out, o + 16 + rows);
        c31.sub(s1).fma(d3.mul(e1), FloatVector.fromArray(F, out, o + 24 + rows)).intoArray(out, o + 24 + rows);
        c02.sub(s2).fma(d0.mul(e2), FloatVector.fromArray(F, out, o + 2 * rows)).intoArray(out, o + 2 * rows);
        c12.sub(s2).fma(d1.mul(e2), FloatVector.fromArray(F, out, o + 8 + 2 * rows)).intoArray(out, o + 8 + 2 * rows);
        c22.sub(s2).fma(d2.mul(e2), FloatVector.fromArray(F, out, o + 16 + 2 * rows)).intoArray(out, o + 16 + 2 * rows);
        c32.sub(s2).fma(d3.mul(e2), FloatVector.fromArray(F, out, o + 24 + 2 * rows)).intoArray(out, o + 24 + 2 * rows);
        c03.sub(s3).fma(d0.mul(e3), FloatVector.fromArray(F, out, o + 3 * rows)).intoArray(out, o + 3 * rows);
        c13.sub(s3).fma(d1.mul(e3), FloatVector.fromArray(F, out, o + 8 + 3 * rows)).intoArray(out, o + 8 + 3 * rows);
        c23.sub(s3).fma(d2.mul(e3), FloatVector.fromArray(F, out, o + 16 + 3 * rows)).intoArray(out, o + 16 + 3 * rows);
        c33.sub(s3).fma(d3.mul(e3), FloatVector.fromArray(F, out, o + 24 + 3 * rows)).intoArray(out, o + 24 + 3 * rows);
    }
}
