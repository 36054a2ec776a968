package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;

/** {@code x[i] += y[i % yLen]}: a residual add (yLen = count) or a bias added to every row (yLen = width). One item per element. */
public final class Add {
    static final int LOCAL = 256;

    private Add() {}

    /** Enough groups of {@link #LOCAL} items to cover {@code count} elements. */
    public static Launch launch(int count) {
        return Launch.cover(count, LOCAL);
    }

    /** x [count] updated in place; y [yLen], repeated along x. */
    @Kernel
    public static void add(KernelContext ctx, F32Buffer x, F32Buffer y, int yLen, int count) {
        int i = ctx.globalId(0);
        if (i < count) x.set(i, x.get(i) + y.get(i % yLen));
    }
}
