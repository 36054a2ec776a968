package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The two layouts activation rows are split into once per matmul for the {@link SplitWeights} dots: {@link SplitQ8} for
 * the 32-element Q8_0 blocks that Q4_0 / Q8_0 weights read, {@link SplitQ8K} for the 256-element Q8_K superblocks that
 * Q4_K / Q6_K weights read. Split rows lie {@link #rowBytes} apart in a per-thread {@link #scratch}.
 */
enum ActivationSplit {
    Q8_0 {
        @Override
        long rowBytes(int blocks) {
            return SplitQ8.rowBytes(blocks);
        }

        @Override
        MemorySegment scratch(int blocks, int n) {
            return SplitQ8.scratch(blocks, n);
        }

        @Override
        void split(MemorySegment xq, long off, int blocks, MemorySegment ys) {
            SplitQ8.split(xq, off, blocks, ys);
        }
    },
    Q8_K {
        @Override
        long rowBytes(int blocks) {
            return SplitQ8K.rowBytes(blocks);
        }

        @Override
        MemorySegment scratch(int blocks, int n) {
            return SplitQ8K.scratch(blocks, n);
        }

        @Override
        void split(MemorySegment xq, long off, int blocks, MemorySegment ys) {
            SplitQ8K.split(xq, off, blocks, ys);
        }
    };

    /** Bytes of one split row of {@code blocks} activation blocks. */
    abstract long rowBytes(int blocks);

    /** A per-thread buffer for {@code n} split rows of {@code blocks} blocks, {@link #rowBytes} apart. */
    abstract MemorySegment scratch(int blocks, int n);

    /** Splits {@code blocks} quantized activation blocks at {@code xq[off..]} into {@code ys} from 0. */
    abstract void split(MemorySegment xq, long off, int blocks, MemorySegment ys);

    /**
     * One activation row ({@code blocks} blocks at {@code xq[off..]}) split into this thread's scratch, for a single-row
     * dot: the split row, from offset 0.
     */
    MemorySegment splitOne(MemorySegment xq, long off, int blocks) {
        MemorySegment ys = scratch(blocks, 1);
        split(xq, off, blocks, ys);
        return ys;
    }
}
