package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;

/**
 * The SwiGLU feed-forward gate: {@code gate[i] = silu(gate[i]) · up[i]}, silu(g) = g / (1 + e^−g). One item per
 * element. As ggml_vec_swiglu_f32: within each row, ggml's vector exp on full 8-lane chunks, libm's on the rest.
 */
public final class SwiGlu {
    static final int LOCAL = 256;

    private SwiGlu() {}

    /** Enough groups of {@link #LOCAL} items to cover {@code count} elements. */
    public static Launch launch(int count) {
        return Launch.cover(count, LOCAL);
    }

    /** gate [count / width, width] rewritten in place, up [count / width, width]. */
    @Kernel
    public static void siluMul(KernelContext ctx, F32Buffer gate, F32Buffer up, int width, int count) {
        int i = ctx.globalId(0);
        if (i < count) {
            float g = gate.get(i);
            boolean chunked = i % width < width - width % VectorExp.LANES;
            float e = chunked ? VectorExp.vexp(0.0f - g) : KernelMath.exp(-g);
            gate.set(i, (g / (1.0f + e)) * up.get(i));
        }
    }
}
