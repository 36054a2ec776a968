package dev.ember.compute.dsl.testkernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U16Buffer;

/** Rounds x to f16 bits, and mixes x's bits with unsigned shifts and sign-extended bytes. */
public final class PackHalves {
    private PackHalves() {}

    @Kernel
    public static void pack(KernelContext ctx, F32Buffer x, U16Buffer out, I32Buffer mixed, int n) {
        int i = ctx.globalId(0);
        if (i >= n) return;
        out.set(i, KernelMath.f32ToF16(x.get(i)));
        int bits = KernelMath.floatToBits(x.get(i));
        long wide = (long) bits * 31L;
        mixed.set(i, (bits >>> 16) ^ KernelMath.signed8(bits) ^ (int) (wide >>> 33));
    }

    public static Launch launch(int n) {
        return Launch.cover(n, 64);
    }
}
