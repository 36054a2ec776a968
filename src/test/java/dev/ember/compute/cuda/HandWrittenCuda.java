package dev.ember.compute.cuda;

/** The CUDA C source provider the tests plug into {@link CudaBackend} in place of the translator. */
final class HandWrittenCuda {
    private HandWrittenCuda() {}

    static String source(Class<?> kernelClass) {
        if (kernelClass == Saxpy.class) return Saxpy.CUDA;
        if (kernelClass == GridIds.class) return GridIds.CUDA;
        if (kernelClass == Broken.class) return Broken.CUDA;
        throw new IllegalArgumentException("no hand-written CUDA C for " + kernelClass.getName());
    }
}
