package dev.ember.compute.dsl.testkernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U8Buffer;

/** out[i] = the i-th value of a run of block_q8_0 blocks, through helpers of another class. */
public final class DequantizeQ8 {
    private DequantizeQ8() {}

    @Kernel
    public static void dequantize(KernelContext ctx, U8Buffer q, F32Buffer out, int count) {
        int i = ctx.globalId(0);
        if (i >= count) return;
        out.set(i, Q8Blocks.value(q, i / Q8Blocks.QK, i % Q8Blocks.QK));
    }

    public static Launch launch(int count) {
        return Launch.cover(count, 128);
    }
}
