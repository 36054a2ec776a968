package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/**
 * Writes each batch token's key and value rows into the paged KV cache at the slot its sequence's block
 * table gives for its position. One item per (element, token).
 */
public final class KvStore {
    static final int LOCAL = 64;

    private KvStore() {}

    /** Dimension 0: kvDim in groups of {@link #LOCAL}; dimension 1: the tokens. */
    public static Launch launch(int kvDim, int tokens) {
        return Launch.of(Math.max(1, (kvDim + LOCAL - 1) / LOCAL), tokens, LOCAL);
    }

    /** k, v [tokens, kvDim]; slots [tokens]; kCache, vCache [numSlots, kvDim]. */
    @Kernel
    public static void store(KernelContext ctx, F32Buffer k, F32Buffer v, I32Buffer slots,
                             F32Buffer kCache, F32Buffer vCache, int kvDim, int tokens) {
        int d = ctx.globalId(0);
        int t = ctx.groupId(1);
        if (d < kvDim && t < tokens) {
            int dst = slots.get(t) * kvDim + d;
            kCache.set(dst, k.get(t * kvDim + d));
            vCache.set(dst, v.get(t * kvDim + d));
        }
    }
}
