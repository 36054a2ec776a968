package dev.ember.compute.cuda;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;

/** A test kernel whose CUDA C does not compile: it reads an undeclared {@code undefined_value}. */
public final class Broken {
    static final String CUDA = """
            extern "C" __global__ void Broken_broken(float* x) {
                x[threadIdx.x] = undefined_value;
            }
            """;

    private Broken() {}

    @Kernel
    public static void broken(KernelContext ctx, F32Buffer x) {
        x.set(ctx.localId(0), 1f);
    }
}
