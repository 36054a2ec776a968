package dev.ember.compute.cuda;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;

/** A 1-D test kernel, {@code y = a·x + y}, in Java and hand-written CUDA C. */
public final class Saxpy {
    static final String CUDA = """
            extern "C" __global__ void Saxpy_saxpy(const float* x, float* y, float a, int n) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) y[i] = a * x[i] + y[i];
            }
            """;

    private Saxpy() {}

    @Kernel
    public static void saxpy(KernelContext ctx, F32Buffer x, F32Buffer y, float a, int n) {
        int i = ctx.globalId(0);
        if (i < n) y.set(i, a * x.get(i) + y.get(i));
    }
}
