package dev.ember.compute.dsl;

import dev.ember.kernels.Add;
import dev.ember.kernels.Argmax;
import dev.ember.kernels.Attention;
import dev.ember.kernels.CopyRows;
import dev.ember.kernels.Embedding;
import dev.ember.kernels.KvStore;
import dev.ember.kernels.MatmulF16;
import dev.ember.kernels.MatmulF32;
import dev.ember.kernels.MatmulQuant;
import dev.ember.kernels.QuantizeQ8_0;
import dev.ember.kernels.QuantizeQ8_K;
import dev.ember.kernels.RmsNorm;
import dev.ember.kernels.Rope;
import dev.ember.kernels.Softmax;
import dev.ember.kernels.SwiGlu;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every kernel of {@code kernels/} translated to CUDA C compiles to PTX with nvcc and assembles for an H100
 * ({@code ptxas -arch=sm_90}), with every {@code @Kernel} an entry point: what NVRTC will get on a GPU machine.
 * (The OpenCL translation of the same kernels is built and run on PoCL by the ops tests.)
 */
class ProductKernelsCompileTest {
    static final List<Class<?>> KERNELS = List.of(Add.class, Argmax.class, Attention.class, CopyRows.class, Embedding.class,
            KvStore.class, MatmulF16.class, MatmulF32.class, MatmulQuant.class, QuantizeQ8_0.class, QuantizeQ8_K.class,
            RmsNorm.class, Rope.class, Softmax.class, SwiGlu.class);

    @TempDir
    Path dir;

    @Test
    void everyKernelCompilesForSm90() throws Exception {
        Optional<Path> nvcc = DeviceCompilers.nvcc();
        assumeTrue(nvcc.isPresent(), "no nvcc/ptxas in " + DeviceCompilers.CUDA_BIN);
        KernelTranslator translator = new KernelTranslator();
        for (Class<?> k : KERNELS) {
            // One unit per class, as CudaBackend compiles them.
            Path cu = dir.resolve(k.getSimpleName() + ".cu");
            Files.writeString(cu, translator.translate(Target.CUDA, List.of(k)));
            String ptxName = k.getSimpleName() + ".ptx";
            DeviceCompilers.Result ptx = DeviceCompilers.run(dir, List.of(nvcc.get().toString(), "-ptx", "-arch=sm_90",
                    Target.CUDA.compilerOptions(), "-Werror", "all-warnings", cu.toString(), "-o", ptxName));
            assertEquals(0, ptx.exit(), k.getSimpleName() + ": " + ptx.output());
            DeviceCompilers.Result sass = DeviceCompilers.run(dir, List.of(DeviceCompilers.CUDA_BIN.resolve("ptxas").toString(),
                    "-arch=sm_90", ptxName, "-o", k.getSimpleName() + ".cubin"));
            assertEquals(0, sass.exit(), k.getSimpleName() + ": " + sass.output());
            String text = Files.readString(dir.resolve(ptxName));
            int kernels = 0;
            for (Method m : k.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(Kernel.class)) continue;
                kernels++;
                String name = KernelTranslator.kernelName(KernelRef.of(k, m.getName()));
                assertTrue(text.contains(".entry " + name + "("), name + " is an entry point of " + ptxName);
            }
            assertTrue(kernels > 0, k.getSimpleName() + " has kernels");
        }
    }
}
