package dev.ember.compute.cuda;

import dev.ember.compute.dsl.KernelTranslator;
import dev.ember.compute.dsl.Target;
import java.util.List;

/**
 * Where {@link CudaBackend} gets the CUDA C of a kernel class when opened by {@code Backends.open("cuda")}:
 * the Java→CUDA C translation of {@code kernels/} by {@link KernelTranslator}, which names each
 * {@code @Kernel} method's {@code extern "C" __global__} function {@link KernelTranslator#kernelName}.
 */
public final class CudaSources {
    private static final KernelTranslator TRANSLATOR = new KernelTranslator();

    private CudaSources() {}

    /** The CUDA C of {@code kernelClass}'s kernels. */
    public static String translated(Class<?> kernelClass) {
        synchronized (TRANSLATOR) {
            return TRANSLATOR.translate(Target.CUDA, List.of(kernelClass));
        }
    }
}
