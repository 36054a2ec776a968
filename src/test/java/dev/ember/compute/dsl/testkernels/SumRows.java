package dev.ember.compute.dsl.testkernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/** out[r] = Σ x[r, :], one work-group per row, a tree reduction in work-group memory. */
public final class SumRows {
    static final int BLOCK = 64;

    private SumRows() {}

    @Kernel(barrier = true)
    public static void sum(KernelContext ctx, F32Buffer x, F32Buffer out, int n) {
        float[] partial = ctx.localFloats(BLOCK);
        int row = ctx.groupId(0);
        int lid = ctx.localId(0);
        float acc = 0f;
        for (int c = lid; c < n; c += BLOCK) acc += x.get(row * n + c);
        partial[lid] = acc;
        ctx.barrier();
        for (int stride = BLOCK / 2; stride > 0; stride >>= 1) {
            if (lid < stride) partial[lid] += partial[lid + stride];
            ctx.barrier();
        }
        if (lid == 0) out.set(row, partial[0]);
    }

    public static Launch launch(int rows) {
        return Launch.of(rows, BLOCK);
    }
}
