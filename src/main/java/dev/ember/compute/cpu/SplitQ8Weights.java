package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A 32-element block type (Q4_0, Q8_0) whose dot with Q8_0 activations runs on activation rows split once by
 * {@link SplitQ8}: int16 products in ggml's AVX2 lanes (lane k = elements 4k..4k+3), each block's integer lane sums
 * converted to float and accumulated as {@code acc = fma(lane sums, d_w * d_x, acc)}, then hsum_float_8. Both methods
 * give the same bits as {@link WeightMatrix#dot} on the unsplit row.
 */
interface SplitQ8Weights {
    /** Rows {@code [0, splitRows())} may use the split dots (their vector loads stay inside the data); the rest use dot. */
    int splitRows();

    /** Weight row {@code row} · the split activation row at {@code ys[base ..]}. */
    float dotSplit(int row, MemorySegment ys, long base);

    /**
     * Weight row {@code row} · split activation rows t..t+3 ({@code ys[(t + j) * stride ..]}), each weight block unpacked
     * once for the four: {@code out[o + j * outStride]} for token t + j.
     */
    void dotSplit4(int row, MemorySegment ys, long stride, int t, float[] out, int o, int outStride);
}
