package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Activation rows laid out for a repacked decode kernel ({@link Q8Pairs} for Q4_0, {@link Q8KPairs} for Q4_K / Q6_K): what
 * {@link Matmul} needs to prepare them, token by token, before the kernel runs.
 */
interface PairedActivations {
    /** Makes room for n tokens of {@code blocks} blocks. */
    void ensure(int n, int blocks);

    /**
     * Lays out token t from its converted activation row at {@code xq[off ..]} ({@code blocks} blocks); with
     * {@code batched} also the float copy that the batched kernels read (the one-token kernels do not).
     */
    void fill(int t, MemorySegment xq, long off, int blocks, boolean batched);
}
