package dev.ember.compute.cuda;

/**
 * Where {@link CudaBackend} gets the CUDA C of a kernel class when opened by
 * {@code Backends.open("cuda")}: the Java→CUDA C translation of {@code kernels/}.
 *
 * <p>The translator ({@code compute.dsl.KernelTranslator}) plugs in by replacing the body of
 * {@link #translated} with {@code return KernelTranslator.translate(Target.CUDA, List.of(kernelClass));}.
 * Its output must define each {@code @Kernel} method of the class as an {@code extern "C" __global__}
 * function of the same name and parameter order (see {@link CudaBackend}).
 */
public final class CudaSources {
    private CudaSources() {}

    /** The CUDA C of {@code kernelClass}'s kernels. */
    public static String translated(Class<?> kernelClass) {
        throw new IllegalStateException("no CUDA C for kernel class " + kernelClass.getName()
                + ": the Java→CUDA C translator (compute.dsl.KernelTranslator) is not part of this build yet");
    }
}
