package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ShortVector;

/**
 * Q8_0 activations split for the single-row dots of Q4_0 and Q8_0 weights: per block b, the even elements sign-extended
 * to int16 ({@code ys[64b .. 64b + 32)}: short i = element 2i) then the odd ones ({@code ys[64b + 32 .. 64b + 64)}: short
 * i = element 2i + 1); after all blocks, the block scales as floats ({@code ys[64 blocks + 4b]}, {@link #scaleOffset}).
 *
 * <p>The 16-bit multiplies of the AVX2-order kernels pair each weight short lane with these two activation lanes; splitting
 * the activation row once per matmul saves the three shifts per block that every weight row would otherwise repeat.
 */
final class SplitQ8 {
    private SplitQ8() {}

    /** Bytes of split activations per 32-element block. */
    static final int BLOCK_BYTES = 64;

    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[] {MemorySegment.NULL});

    /** Byte offset of block b's scale in a split row of {@code blocks} blocks. */
    static long scaleOffset(int blocks, int b) {
        return (long) BLOCK_BYTES * blocks + 4L * b;
    }

    /** Bytes of one split row of {@code blocks} blocks (blocks, then their scales). */
    static long rowBytes(int blocks) {
        return scaleOffset(blocks, blocks);
    }

    /**
     * A per-thread buffer for {@code n} split rows of {@code blocks} blocks, {@link #rowBytes} apart (grown on demand;
     * off-heap, see {@link Matmul}).
     */
    static MemorySegment scratch(int blocks, int n) {
        MemorySegment[] s = SCRATCH.get();
        long need = rowBytes(blocks) * n;
        if (s[0].byteSize() < need) s[0] = Arena.ofAuto().allocate(need, 64);
        return s[0];
    }

    /**
     * Splits {@code blocks} Q8_0 blocks at {@code xq[off..]} into {@code ys} from 0. In 128-bit vectors on every machine
     * (two per 32 bytes: shorts 0..7 and 8..15), so that it also runs vectorized where 256-bit vectors are missing; the
     * work is one pass over an activation row per matmul.
     */
    static void split(MemorySegment xq, long off, int blocks, MemorySegment ys) {
        for (int b = 0; b < blocks; b++, off += 34) {
            ys.set(Bytes.F32, scaleOffset(blocks, b), Float.float16ToFloat(xq.get(Bytes.I16, off)));
            long o = (long) BLOCK_BYTES * b;
            ShortVector lo = ShortVector.fromMemorySegment(Lanes.S16x8, xq, off + 2, Lanes.LE);    // short i = elements 2i, 2i+1
            ShortVector hi = ShortVector.fromMemorySegment(Lanes.S16x8, xq, off + 18, Lanes.LE);   // short i = elements 16 + 2i, ..
            lo.lanewise(LSHL, 8).lanewise(ASHR, 8).intoMemorySegment(ys, o, Lanes.LE);
            hi.lanewise(LSHL, 8).lanewise(ASHR, 8).intoMemorySegment(ys, o + 16, Lanes.LE);
            lo.lanewise(ASHR, 8).intoMemorySegment(ys, o + 32, Lanes.LE);
            hi.lanewise(ASHR, 8).intoMemorySegment(ys, o + 48, Lanes.LE);
        }
    }
}
