package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;

/**
 * A Q4_0 matrix repacked for the CPU decode kernels ({@link Q4_0x8Kernel}): eight rows interleaved, so that one 256-bit
 * vector holds the same four quant bytes of eight rows and every multiply serves eight rows at once.
 *
 * <p>Record (144 bytes, the size of eight Q4_0 blocks): rows 8g..8g+7, block b; records in {@link GroupTiles} order.
 * <pre>
 *   [0, 16)            8 fp16 scales d, row 8g+i at 2i
 *   [16 + 32c, 48 + 32c)  chunk c = 0..3: quant bytes 4c..4c+3 of row 8g+i at 4i
 * </pre>
 * A tile is {@link #TILE} blocks: its activations (T × 512 bytes, {@link Q8Pairs}) stay in L1 while the weights stream
 * past (with whole rows per pass they were evicted by the weights, and decode ran at half the memory speed:
 * perf/RESULTS.md, ninth session).
 *
 * <p>Shapes: the source is [rows, blocks] Q4_0 blocks, rows a multiple of 8 ({@link RowGroups8}).
 */
final class Q4_0x8 extends RowGroups8 {
    /** Blocks per tile. */
    static final int TILE = 16;
    /** Bytes per record: 8 scales and 8 × 16 quant bytes. */
    static final int RECORD = 144;

    /** [rows, blocks] source blocks' records: over {@code records} (already repacked), or fresh memory for {@link #fill}. */
    Q4_0x8(int rows, int blocks, MemorySegment records) {
        super(rows, blocks, TILE, RECORD, records);
    }

    @Override
    void packGroup(MemorySegment src, long rowBytes, int g) {
        for (int b = 0; b < blocks; b++) {
            long o = offset(g, b);
            for (int i = 0; i < 8; i++) {
                long w = (8L * g + i) * rowBytes + 18L * b;
                data.set(Bytes.I16, o + 2 * i, src.get(Bytes.I16, w));
                for (int c = 0; c < 4; c++) data.set(Bytes.I32, o + 16 + 32 * c + 4 * i, src.get(Bytes.I32, w + 2 + 4 * c));
            }
        }
    }

    /**
     * Decodes row {@code row} into {@code out[off .. off + 32 blocks)}: the values of Q4_0's dequantize_row (and the same
     * float operations as {@link Q4_0Matrix#dequantizeRow}, eight bytes at a time: {@link FloatGemm} decodes every row of
     * a prompt's matmul through here).
     */
    void dequantizeRow(int row, float[] out, int off) {
        int g = row >>> 3, i = row & 7;
        for (int b = 0; b < blocks; b++) {
            long o = offset(g, b);
            float d = Bytes.f16(data, o + 2 * i);
            int e = off + 32 * b;
            long c = o + 16 + 4 * i;   // chunk k of the row at c + 32k: quant bytes 4k..4k+3
            long lo = (data.get(Bytes.I32, c) & 0xFFFFFFFFL) | ((long) data.get(Bytes.I32, c + 32) << 32);
            long hi = (data.get(Bytes.I32, c + 64) & 0xFFFFFFFFL) | ((long) data.get(Bytes.I32, c + 96) << 32);
            if (Lanes.ENABLED) {   // the 16 quant bytes in one vector; part p = bytes 8p..8p+7
                ByteVector q = LongVector.broadcast(LongVector.SPECIES_128, lo).withLane(1, hi).reinterpretAsBytes();
                for (int p = 0; p < 2; p++) {
                    ((FloatVector) q.and((byte) 0xF).sub((byte) 8).convertShape(B2F, Lanes.F32x8, p)).mul(d).intoArray(out, e + 8 * p);
                    ((FloatVector) q.lanewise(LSHR, 4).sub((byte) 8).convertShape(B2F, Lanes.F32x8, p)).mul(d)
                            .intoArray(out, e + 16 + 8 * p);
                }
                continue;
            }
            for (int m = 0; m < 16; m++) {
                int q = (int) ((m < 8 ? lo : hi) >>> (8 * (m & 7))) & 0xFF;
                out[e + m] = ((q & 0xF) - 8) * d;
                out[e + m + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }
}
