package dev.ember.compute.dsl.testkernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/** out = a + b, one item per element. */
public final class VectorAdd {
    private VectorAdd() {}

    @Kernel
    public static void add(KernelContext ctx, F32Buffer a, F32Buffer b, F32Buffer out, int n) {
        int i = ctx.globalId(0);
        if (i < n) out.set(i, a.get(i) + b.get(i));
    }

    public static Launch launch(int n) {
        return Launch.cover(n, 64);
    }
}
