package dev.ember.compute.opencl;

import java.util.function.Function;

/**
 * Where {@link OpenClBackend} gets the OpenCL C program of a kernel class: the kernels are written once in
 * Java ({@code kernels/}) and translated by {@code compute.dsl.KernelTranslator}.
 */
public final class OpenClKernelSources {
    private OpenClKernelSources() {}

    /**
     * The OpenCL C translation of a kernel class: one program per class, one {@code __kernel} per
     * {@code @Kernel} method, named as the method.
     *
     * <p>Integration point: {@code compute.dsl.KernelTranslator} is not in this build yet, so this provider
     * fails with a clear message when a program is first needed. Once it is merged, the body becomes
     * {@code return kernelClass -> KernelTranslator.translate(KernelTranslator.Target.OPENCL, List.of(kernelClass));}
     * and {@code Backends.open("opencl")} runs the real kernels with no other change.
     */
    public static Function<Class<?>, String> translator() {
        return kernelClass -> {
            throw new UnsupportedOperationException("cannot run " + kernelClass.getName() + " on OpenCL: the Java-to-OpenCL C kernel translator "
                    + "(compute.dsl.KernelTranslator) is not available in this build; pass a source provider to OpenClBackend.open(config, sources)");
        };
    }
}
