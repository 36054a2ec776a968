package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U8Buffer;

/** Token embedding lookup: each output row is one dequantized row of a GGML table. */
public final class Embedding {
    private Embedding() {}

    /** Items per work-group along the embedding dimension. */
    static final int LOCAL = 64;

    /**
     * out[t, c] = element c of row tokens[t] of {@code table}, for c < dim, t < count.
     * table: [vocab, dim] rows of {@code type} blocks (ggml type id: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, Q8_K), each
     * row dim / blockSize(type) * typeSize(type) bytes; tokens: [count]; out: [count, dim].
     * One item per output element: item (c, t) decodes element c % blockSize of block c / blockSize of the row, exactly
     * as ggml's dequantize_row_* (bit for bit).
     */
    @Kernel
    public static void gather(KernelContext ctx, U8Buffer table, int type, I32Buffer tokens, F32Buffer out, int dim, int count) {
        int c = ctx.globalId(0);
        int t = ctx.globalId(1);
        if (c >= dim || t >= count) return;
        int bs = GgmlTypes.blockSize(type);
        int rowBytes = dim / bs * GgmlTypes.typeSize(type);
        int bo = tokens.get(t) * rowBytes + (c / bs) * GgmlTypes.typeSize(type);   // byte offset of c's block
        int j = c % bs;                                                           // c's index in its block
        float v = 0f;
        if (type == GgmlTypes.F32) v = BlockBytes.f32(table, bo);
        else if (type == GgmlTypes.F16) v = BlockBytes.f16(table, bo);
        else if (type == GgmlTypes.BF16) v = BlockBytes.bf16(table, bo);
        else if (type == GgmlTypes.Q8_0) v = BlockQ8_0.value(table, bo, j);
        else if (type == GgmlTypes.Q4_0) v = BlockQ4_0.value(table, bo, j);
        else if (type == GgmlTypes.Q4_K) v = BlockQ4_K.value(table, bo, j);
        else if (type == GgmlTypes.Q6_K) v = BlockQ6_K.value(table, bo, j);
        else if (type == GgmlTypes.Q8_K) v = BlockQ8_K.d(table, bo) * BlockQ8_K.q(table, bo, j);
        out.set(t * dim + c, v);
    }

    /** Groups of {@link #LOCAL} items covering dim along x, one group row per token along y. */
    public static Launch launch(int dim, int count) {
        return Launch.of((dim + LOCAL - 1) / LOCAL, count, LOCAL);
    }
}
