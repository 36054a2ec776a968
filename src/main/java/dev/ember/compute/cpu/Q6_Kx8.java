package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * A Q6_K matrix repacked for the CPU decode kernel ({@link Q6_Kx8Kernel}): eight rows interleaved, as {@link Q4_Kx8}
 * does for Q4_K. A weight's low four bits stay in ggml's ql nibbles (moved in chunks of four bytes per row); its high two
 * bits are regrouped so that the shift that brings a nibble into a 16-bit lane brings its high bits next to it.
 *
 * <p>Record (1680 bytes, the size of eight Q6_K superblocks): rows 8g..8g+7, superblock b; records in
 * {@link GroupTiles} order.
 * <pre>
 *   [0, 16)                 8 fp16 d, row i at 2i
 *   [16, 144)               16 int8 scales, slot s = 2Q + part of row i at 16 + 8s + i: sub-block {@link #subBlock}(Q, part)
 *   [144 + 32k, + 32)       ql chunk k = 0..31: ql bytes 4k..4k+3 of row i at 4i
 *   [1168 + 32m, + 32)      qh word m = 0..15 of row i at 4i: the high two bits of ql chunks 2m + c (c = 0, 1),
 *                           element {@link #element}(2m + c, e, h) at bit 16h + 8c + 2e
 * </pre>
 * In an int lane of a ql chunk, extraction e = 0..3 ({@code (x >>> 4e) & 0x000F000F}) yields two elements (h = 0 in the
 * low 16 bits, h = 1 in the high): ql bytes e / 2 and e / 2 + 2 of the chunk, low nibbles for even e, high for odd. A
 * quad Q = 0..7 (ql chunks 4Q..4Q+3, 16 ql bytes per row) holds sub-block {@code subBlock(Q, 0)} in its even extractions
 * and {@code subBlock(Q, 1)} in its odd ones.
 *
 * <p>Shapes: the source is [rows, blocks] Q6_K superblocks (ql[128], qh[64], scales[16], fp16 d: 210 bytes), rows a
 * multiple of 8 ({@link RowGroups8}).
 */
final class Q6_Kx8 extends RowGroups8 {
    /** Superblocks per tile: 2 × 4 KB of activations ({@link Q8KPairs}) per token. */
    static final int TILE = 2;
    static final int RECORD = 1680;
    static final int QL = 144;
    static final int QH = 1168;

    /** [rows, blocks] source blocks' records: over {@code records} (already repacked), or fresh memory for {@link #fill}. */
    Q6_Kx8(int rows, int blocks, MemorySegment records) {
        super(rows, blocks, TILE, RECORD, records);
    }

    /**
     * The superblock element (0..255) in half h of extraction e of ql chunk k: ql byte L = 4k + e / 2 + 2h, low nibble
     * for even e; in ggml's order byte L of half n = L / 64 holds elements 128n + (L mod 64) (low) and + 64 (high).
     */
    static int element(int k, int e, int h) {
        int l = 4 * k + (e >>> 1) + 2 * h;
        return 128 * (l >>> 6) + (l & 63) + 64 * (e & 1);
    }

    /** The 16-element sub-block (ggml's scale index) of quad Q's even (part 0) or odd (part 1) extractions. */
    static int subBlock(int q, int part) {
        return 8 * (q >>> 2) + (q & 3) + 4 * part;
    }

    /** The nibble (0..15) of a quad's two qh words that holds the high-bit pairs of its ql byte j = 4c + t. */
    static int highBitsNibble(int j) {
        int c = j >>> 2, t = j & 3;
        return 8 * (c >>> 1) + 4 * (t >>> 1) + 2 * (c & 1) + (t & 1);
    }

    /** [0, 4]: a 128-bit vector of one qh quad word shifted to put its even nibbles in bytes 0-7, its odd ones in 8-15. */
    private static final LongVector NIBBLE_SHIFTS = LongVector.fromArray(LongVector.SPECIES_128, new long[] {0, 4}, 0);
    /** Byte j takes nibble highBitsNibble(j) from [even nibbles | odd nibbles]. */
    private static final VectorShuffle<Byte> HIGH_BITS = VectorShuffle.fromOp(ByteVector.SPECIES_128,
            j -> (highBitsNibble(j) & 1) * 8 + (highBitsNibble(j) >>> 1));

    /** The 6-bit value (0..63) of element e of a Q6_K superblock at {@code w}. */
    private static int q6(MemorySegment src, long w, int e) {
        int n = e >>> 7, kk = (e >>> 5) & 3, l = e & 31;
        int ql = Bytes.u8(src, w + 64 * n + l + 32 * (kk & 1));
        int lo = (kk & 2) == 0 ? ql & 0xF : ql >>> 4;
        int hi = (Bytes.u8(src, w + 128 + 32 * n + l) >>> (2 * kk)) & 3;
        return lo | hi << 4;
    }

    @Override
    void packGroup(MemorySegment src, long rowBytes, int g) {
        for (int b = 0; b < blocks; b++) {
            long o = offset(g, b);
            for (int i = 0; i < 8; i++) {
                long w = (8L * g + i) * rowBytes + 210L * b;
                data.set(Bytes.I16, o + 2 * i, src.get(Bytes.I16, w + 208));
                for (int s = 0; s < 16; s++) {
                    data.set(ValueLayout.JAVA_BYTE, o + 16 + 8 * s + i, src.get(ValueLayout.JAVA_BYTE, w + 192 + subBlock(s >>> 1, s & 1)));
                }
                for (int k = 0; k < 32; k++) data.set(Bytes.I32, o + QL + 32 * k + 4 * i, src.get(Bytes.I32, w + 4 * k));
                for (int m = 0; m < 16; m++) {
                    int word = 0;
                    for (int c = 0; c < 2; c++) {
                        for (int e = 0; e < 4; e++) {
                            for (int h = 0; h < 2; h++) word |= (q6(src, w, element(2 * m + c, e, h)) >>> 4) << (16 * h + 8 * c + 2 * e);
                        }
                    }
                    data.set(Bytes.I32, o + QH + 32 * m + 4 * i, word);
                }
            }
        }
    }

    /**
     * Decodes row {@code row} into {@code out[off .. off + 256 blocks)}: the float operations of
     * {@link Q6_KMatrix#dequantizeRow} ((d · scale) · (q - 32)), so the same values. Per quad the 16 ql bytes of the row
     * come out in ggml's order (16 consecutive elements from their low nibbles, the 16 elements 64 further from their high
     * ones), the high bits from the two qh words.
     */
    void dequantizeRow(int row, float[] out, int off) {
        int g = row >>> 3, i = row & 7;
        for (int b = 0; b < blocks; b++) {
            long o = offset(g, b);
            float d = Bytes.f16(data, o + 2 * i);
            for (int q = 0; q < 8; q++) {
                float dlo = d * Bytes.i8(data, o + 16 + 8 * (2 * q) + i), dhi = d * Bytes.i8(data, o + 16 + 8 * (2 * q + 1) + i);
                int e = off + 256 * b + 128 * (q >>> 2) + 16 * (q & 3);   // the low nibbles' first element; high ones at e + 64
                long c = o + QL + 128L * q + 4 * i;                         // ql chunk 4q + j at c + 32j
                long ql0 = (data.get(Bytes.I32, c) & 0xFFFFFFFFL) | ((long) data.get(Bytes.I32, c + 32) << 32);
                long ql1 = (data.get(Bytes.I32, c + 64) & 0xFFFFFFFFL) | ((long) data.get(Bytes.I32, c + 96) << 32);
                int w0 = data.get(Bytes.I32, o + QH + 64L * q + 4 * i), w1 = data.get(Bytes.I32, o + QH + 64L * q + 32 + 4 * i);
                // nibble f_j of W = w0 | w1 << 32 holds ql byte j's two high-bit pairs (low nibble's in bits 0-1);
                // byte j = 4c + t sits at nibble 8(c / 2) + 4(t / 2) + 2(c mod 2) + (t mod 2) (see the class comment)
                long hw = (w0 & 0xFFFFFFFFL) | ((long) w1 << 32);
                if (Lanes.ENABLED) {
                    ByteVector qv = LongVector.broadcast(LongVector.SPECIES_128, ql0).withLane(1, ql1).reinterpretAsBytes();
                    ByteVector hv = LongVector.broadcast(LongVector.SPECIES_128, hw).lanewise(LSHR, NIBBLE_SHIFTS).reinterpretAsBytes()
                            .and((byte) 0xF).rearrange(HIGH_BITS);   // [even nibbles | odd nibbles], then in ql byte order
                    ByteVector lo = qv.and((byte) 0xF).or(hv.and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                    ByteVector hi = qv.lanewise(LSHR, 4).or(hv.lanewise(LSHR, 2).lanewise(LSHL, 4)).sub((byte) 32);
                    for (int p = 0; p < 2; p++) {
                        ((FloatVector) lo.convertShape(B2F, Lanes.F32x8, p)).mul(dlo).intoArray(out, e + 8 * p);
                        ((FloatVector) hi.convertShape(B2F, Lanes.F32x8, p)).mul(dhi).intoArray(out, e + 64 + 8 * p);
                    }
                    continue;
                }
                for (int j = 0; j < 16; j++) {
                    int qb = (int) ((j < 8 ? ql0 : ql1) >>> (8 * (j & 7))) & 0xFF;
                    int f = (int) (hw >>> (4 * highBitsNibble(j))) & 0xF;
                    out[e + j] = dlo * (((qb & 0xF) | (f & 3) << 4) - 32);
                    out[e + 64 + j] = dhi * (((qb >>> 4) | (f >>> 2) << 4) - 32);
                }
            }
        }
    }
}
