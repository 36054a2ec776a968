package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/** Gathers rows: {@code dst[j, :] = src[rows[j], :]} (e.g. the hidden states of the tokens whose logits are wanted). One item per (element, row). */
public final class CopyRows {
    static final int LOCAL = 64;

    private CopyRows() {}

    /** Dimension 0: width in groups of {@link #LOCAL}; dimension 1: the rows copied. */
    public static Launch launch(int width, int count) {
        return Launch.of(Math.max(1, (width + LOCAL - 1) / LOCAL), count, LOCAL);
    }

    /** src [*, width]; rows [count]; dst [count, width]. */
    @Kernel
    public static void copyRows(KernelContext ctx, F32Buffer src, I32Buffer rows, F32Buffer dst, int width, int count) {
        int c = ctx.globalId(0);
        int j = ctx.groupId(1);
        if (c < width && j < count) dst.set(j * width + c, src.get(rows.get(j) * width + c));
    }
}
