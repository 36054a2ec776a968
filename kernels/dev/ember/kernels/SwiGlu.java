package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/** The SwiGLU feed-forward gate: {@code gate[i] = silu(gate[i]) · up[i]}, silu(g) = g / (1 + e^−g). One item per element. */
public final class SwiGlu {
    static final int LOCAL = 256;

    private SwiGlu() {}

    /** Enough groups of {@link #LOCAL} items to cover {@code count} elements. */
    public static Launch launch(int count) {
        return Launch.cover(count, LOCAL);
    }

    /** gate [count] rewritten in place, up [count] (any row layout: both share it). */
    @Kernel
    public static void siluMul(KernelContext ctx, F32Buffer gate, F32Buffer up, int count) {
        int i = ctx.globalId(0);
        if (i < count) {
            float g = gate.get(i);
            gate.set(i, (g / (1.0f + KernelMath.exp(-g))) * up.get(i));
        }
    }
}
