package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A weight type whose dot runs on activation rows split once per matmul ({@link #activationSplit}): Q4_0 / Q8_0 on
 * {@link SplitQ8} rows, in ggml's AVX2 lanes (lane k = elements 4k..4k+3), each block's integer lane sums converted to float
 * and accumulated as {@code acc = fma(lane sums, d_w * d_x, acc)}, then hsum_float_8; Q4_K / Q6_K on {@link SplitQ8K} rows,
 * per superblock as their ggml AVX2 dots. Both methods give the same bits as {@link WeightMatrix#dot} on the unsplit row.
 */
interface SplitWeights {
    /** The split layout the dots read. */
    ActivationSplit activationSplit();

    /**
     * The most activation rows per matmul for which the split dots beat this type's lane GEMM (each type's javadoc gives
     * its KernelBench figures); more rows go to the lane GEMM.
     */
    int splitMaxN();

    /** Rows {@code [0, splitRows())} may use the split dots (their vector loads stay inside the data); the rest use dot. */
    int splitRows();

    /** Weight row {@code row} · the split activation row at {@code ys[base ..]}. */
    float dotSplit(int row, MemorySegment ys, long base);

    /**
     * Weight row {@code row} · split activation rows t..t+3 ({@code ys[(t + j) * stride ..]}), each weight block unpacked
     * once for the four: {@code out[o + j * outStride]} for token t + j.
     */
    void dotSplit4(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride);

    /**
     * {@link #dotSplit} in 128-bit vectors, for machines without 256-bit ones ({@link Lanes#NARROW}): ggml's eight
     * accumulator lanes as two 4-lane halves, the same integers and float order, so the same bits. Valid for every row.
     */
    float dotSplit128(int row, MemorySegment ys, long base);

    /**
     * {@link #dotSplit4} in 128-bit vectors: the same bits as four {@link #dotSplit128} calls, which is what types without a
     * four-token form of their own run.
     */
    default void dotSplit4x128(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride) {
        for (int j = 0; j < 4; j++) out[o + j * outStride] = dotSplit128(row, ys, (t + j) * stride);
    }
}
