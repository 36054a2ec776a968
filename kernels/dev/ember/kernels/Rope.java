package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/**
 * Rotary position embedding, in place, with angles the host computed per token (as
 * {@code compute.cpu.Rope.angles}). One item per rotated pair: (2i, 2i+1) in the NORM layout (llama), or
 * (i, i + ropeDims/2) in the NEOX layout (qwen2/qwen3). Dimensions from ropeDims to headDim are untouched.
 */
public final class Rope {
    static final int LOCAL = 64;

    private Rope() {}

    /** Dimension 0: the heads × ropeDims/2 pairs of a token, in groups of {@link #LOCAL}; dimension 1: the tokens. */
    public static Launch launch(int tokens, int heads, int ropeDims) {
        int pairs = heads * (ropeDims / 2);
        return Launch.of(Math.max(1, (pairs + LOCAL - 1) / LOCAL), tokens, LOCAL);
    }

    /** x [tokens, heads × headDim] rotated in place; cos, sin [tokens, ropeDims/2]. */
    @Kernel
    public static void rope(KernelContext ctx, F32Buffer x, F32Buffer cos, F32Buffer sin,
                            int tokens, int heads, int headDim, int ropeDims, int neox) {
        int half = ropeDims / 2;
        int pair = ctx.globalId(0); // h × half + i
        int t = ctx.groupId(1);
        if (pair < heads * half && t < tokens) {
            int h = pair / half;
            int i = pair % half;
            int base = t * heads * headDim + h * headDim;
            int a = base + 2 * i;
            int b = a + 1;
            if (neox != 0) {
                a = base + i;
                b = base + i + half;
            }
            float x0 = x.get(a);
            float x1 = x.get(b);
            float c = cos.get(t * half + i);
            float s = sin.get(t * half + i);
            x.set(a, x0 * c - x1 * s);
            x.set(b, x0 * s + x1 * c);
        }
    }
}
