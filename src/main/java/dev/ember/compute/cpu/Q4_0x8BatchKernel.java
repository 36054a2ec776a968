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
     * The block element (0..31) that expanded element k = 8c + q holds: nibble q of chunk c (bits 4q..4q+3 of each row's
     * int lane), byte 4c + q/2 of the block's quants, low nibble (element 4c + q/2) for even q, high (16 + 4c + q/2) for
     * odd. {@link Q8Pairs#floats} uses the same order.
     */
    static int element(int k) {
        int c = k >>> 3, q = k & 7;
        return 16 * (q & 1) + 4 * c + (q >>> 1);
    }

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
     * term onto {@code out[o + 8s + m · rows ..+8)} (slot s, token j + m), as tile1 adds it onto its accumulator;
     * {@code c} is [128] scratch for the block sums.
     */
    static void block(Q4_0x8 w, int b, float[] wf, float[] wd, Q8Pairs a, int j, float[] c, float[] out, int o, int rows) {
        int nb = w.blocks, a0 = j * nb + b;
        // Σ nibble · y of the block per slot and token: at most 32 · 15 · 127 in magnitude, exact
        ExactFma4x4.run(wf, 0, EXPANDED, a.floats, 32 * a0, 32 * (a0 + nb), 32 * (a0 + 2 * nb), 32 * (a0 + 3 * nb), 32, c);
        int[] s8 = a.sums8;
        float[] dy = a.scales;
        for (int m = 0; m < 4; m++) {
            int am = a0 + m * nb;
            float sm = s8[am], em = dy[am];
            for (int s = 0; s < 4; s++) {
                int at = o + 8 * s + m * rows;
                FloatVector.fromArray(F, c, 8 * (4 * m + s)).sub(sm).fma(FloatVector.fromArray(F, wd, 8 * s).mul(em),
                        FloatVector.fromArray(F, out, at)).intoArray(out, at);
            }
        }
    }
}
