package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ShortVector;

/**
 * Q8_K activations split for the single-row Q4_K dot, one superblock per {@link #BLOCK_BYTES} bytes: {@code [0, 4)} d
 * (f32), {@code [4, 36)} bsums (16 × int16, as in Q8_K), then from byte 64 for each 32-element group c (0..7) the even
 * elements sign-extended to int16 ({@code [64 + 64c, 96 + 64c)}: short i = element 32c + 2i) and the odd ones
 * ({@code [96 + 64c, 128 + 64c)}). Same idea as {@link SplitQ8}: the sign extension is done once per activation row
 * instead of once per weight row.
 */
final class SplitQ8K {
    private SplitQ8K() {}

    /** Bytes of one split superblock. */
    static final int BLOCK_BYTES = 576;

    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[] {MemorySegment.NULL});

    /** Bytes of one split row of {@code blocks} superblocks. */
    static long rowBytes(int blocks) {
        return (long) BLOCK_BYTES * blocks;
    }

    /**
     * A per-thread buffer for {@code n} split rows of {@code blocks} superblocks, {@link #rowBytes} apart (grown on demand;
     * off-heap, see {@link Matmul}).
     */
    static MemorySegment scratch(int blocks, int n) {
        MemorySegment[] s = SCRATCH.get();
        long need = rowBytes(blocks) * n;
        if (s[0].byteSize() < need) s[0] = Arena.ofAuto().allocate(need, 64);
        return s[0];
    }

    /** Splits {@code blocks} Q8_K superblocks at {@code xq[off..]} into {@code ys} from 0 (128-bit vectors, as {@link SplitQ8#split}). */
    static void split(MemorySegment xq, long off, int blocks, MemorySegment ys) {
        for (int b = 0; b < blocks; b++, off += 292) {
            long o = (long) BLOCK_BYTES * b;
            ys.set(Bytes.F32, o, xq.get(Bytes.F32, off));
            MemorySegment.copy(xq, off + 260, ys, o + 4, 32);
            for (int c = 0; c < 8; c++) {
                ShortVector lo = ShortVector.fromMemorySegment(Lanes.S16x8, xq, off + 4 + 32L * c, Lanes.LE);
                ShortVector hi = ShortVector.fromMemorySegment(Lanes.S16x8, xq, off + 20 + 32L * c, Lanes.LE);
                lo.lanewise(LSHL, 8).lanewise(ASHR, 8).intoMemorySegment(ys, o + 64 + 64L * c, Lanes.LE);
                hi.lanewise(LSHL, 8).lanewise(ASHR, 8).intoMemorySegment(ys, o + 80 + 64L * c, Lanes.LE);
                lo.lanewise(ASHR, 8).intoMemorySegment(ys, o + 96 + 64L * c, Lanes.LE);
                hi.lanewise(ASHR, 8).intoMemorySegment(ys, o + 112 + 64L * c, Lanes.LE);
            }
        }
    }
}
