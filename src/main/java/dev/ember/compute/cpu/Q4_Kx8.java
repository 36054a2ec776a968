package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;

/**
 * A Q4_K matrix repacked for the CPU decode kernel ({@link Q4_Kx8Kernel}): eight rows interleaved, as {@link Q4_0x8} does
 * for Q4_0, with the 6-bit sub-block scales and mins unpacked to bytes at repacking time.
 *
 * <p>Record (1184 bytes, eight Q4_K superblocks of 144 plus 32 for the unpacked scales): rows 8g..8g+7, superblock b;
 * records in {@link GroupTiles} order, {@link #TILE} superblocks per tile.
 * <pre>
 *   [0, 16)     8 fp16 d, row i at 2i          [16, 32)   8 fp16 dmin, row i at 16 + 2i
 *   [32, 96)    scale of sub-block j of row i at 32 + 8j + i (0..63)
 *   [96, 160)   min of sub-block j of row i at 96 + 8j + i (0..63)
 *   [160 + 256p + 32k, + 32)   pair p = 0..3, chunk k = 0..7: quant bytes 32p + 4k .. 32p + 4k + 3 of row i at 4i
 *               (low nibbles: sub-block 2p, elements 4k..4k+3; high nibbles: sub-block 2p + 1)
 * </pre>
 */
final class Q4_Kx8 extends RowGroups8 {
    /** Superblocks per tile: 2 × 4 KB of activations ({@link Q8KPairs}) per token. */
    static final int TILE = 2;
    static final int RECORD = 1184;

    /** [rows, blocks] source blocks' records: over {@code records} (already repacked), or fresh memory for {@link #fill}. */
    Q4_Kx8(int rows, int blocks, MemorySegment records) {
        super(rows, blocks, TILE, RECORD, records);
    }

    @Override
    void packGroup(MemorySegment src, long rowBytes, int g) {
        for (int b = 0; b < blocks; b++) {
            long o = offset(g, b);
            for (int i = 0; i < 8; i++) {
                long w = (8L * g + i) * rowBytes + 144L * b;
                data.set(Bytes.I16, o + 2 * i, src.get(Bytes.I16, w));
                data.set(Bytes.I16, o + 16 + 2 * i, src.get(Bytes.I16, w + 2));
                long lo = src.get(Bytes.I64, w + 4);
                int hi = src.get(Bytes.I32, w + 12);
                long sc = KScales.scalesK4(lo, hi), mn = KScales.minsK4(lo, hi);
                for (int j = 0; j < 8; j++) {
                    data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 32 + 8 * j + i, (byte) KScales.byteAt(sc, j));
                    data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 96 + 8 * j + i, (byte) KScales.byteAt(mn, j));
                }
                for (int p = 0; p < 4; p++) {
                    for (int k = 0; k < 8; k++) {
                        data.set(Bytes.I32, o + 160 + 256 * p + 32 * k + 4 * i, src.get(Bytes.I32, w + 16 + 32 * p + 4 * k));
                    }
                }
            }
        }
    }

    /**
     * Decodes row {@code row} into {@code out[off .. off + 256 blocks)}: the float operations of
     * {@link Q4_KMatrix#dequantizeRow} ((d · sc) · q - dmin · m), so the same values.
     */
    void dequantizeRow(int row, float[] out, int off) {
        int g = row >>> 3, i = row & 7;
        for (int b = 0; b < blocks; b++) {
            long o = offset(g, b);
            float d = Bytes.f16(data, o + 2 * i), min = Bytes.f16(data, o + 16 + 2 * i);
            for (int p = 0; p < 4; p++) {
                int e = off + 256 * b + 64 * p;
                float d1 = d * Bytes.u8(data, o + 32 + 8 * (2 * p) + i), m1 = min * Bytes.u8(data, o + 96 + 8 * (2 * p) + i);
                float d2 = d * Bytes.u8(data, o + 32 + 8 * (2 * p + 1) + i), m2 = min * Bytes.u8(data, o + 96 + 8 * (2 * p + 1) + i);
                long c = o + 160 + 256L * p + 4 * i;   // chunk k at c + 32k: quant bytes 32p + 4k ..
                for (int h = 0; h < 2; h++, c += 128) {   // bytes 16h .. 16h + 15 of the pair's 32
                    long lo = (data.get(Bytes.I32, c) & 0xFFFFFFFFL) | ((long) data.get(Bytes.I32, c + 32) << 32);
                    long hi = (data.get(Bytes.I32, c + 64) & 0xFFFFFFFFL) | ((long) data.get(Bytes.I32, c + 96) << 32);
                    if (Lanes.ENABLED) {
                        ByteVector q = LongVector.broadcast(LongVector.SPECIES_128, lo).withLane(1, hi).reinterpretAsBytes();
                        for (int part = 0; part < 2; part++) {
                            int l = 16 * h + 8 * part;
                            ((FloatVector) q.and((byte) 0xF).convertShape(B2F, Lanes.F32x8, part)).mul(d1).sub(m1).intoArray(out, e + l);
                            ((FloatVector) q.lanewise(LSHR, 4).convertShape(B2F, Lanes.F32x8, part)).mul(d2).sub(m2)
                                    .intoArray(out, e + 32 + l);
                        }
                        continue;
                    }
                    for (int m = 0; m < 16; m++) {
                        int q = (int) ((m < 8 ? lo : hi) >>> (8 * (m & 7))) & 0xFF;
                        out[e + 16 * h + m] = d1 * (q & 0xF) - m1;
                        out[e + 32 + 16 * h + m] = d2 * (q >> 4) - m2;
                    }
                }
            }
        }
    }
}
