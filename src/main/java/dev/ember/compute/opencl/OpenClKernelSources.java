package dev.ember.compute.opencl;

import dev.ember.compute.dsl.KernelTranslator;
import dev.ember.compute.dsl.Target;
import java.util.List;
import java.util.function.Function;

/**
 * Where {@link OpenClBackend} gets the OpenCL C program of a kernel class: the kernels are written once in
 * Java ({@code kernels/}) and translated by {@link KernelTranslator}, one program per class, each
 * {@code @Kernel} method a {@code __kernel} named {@link KernelTranslator#kernelName}.
 */
public final class OpenClKernelSources {
    private OpenClKernelSources() {}

    /** The OpenCL C translation of a kernel class. */
    public static Function<Class<?>, String> translator() {
        KernelTranslator translator = new KernelTranslator();
        return kernelClass -> {
            synchronized (translator) {
                return translator.translate(Target.OPENCL, List.of(kernelClass));
            }
        };
    }
}
