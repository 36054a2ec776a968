package dev.ember.compute.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.compute.dsl.testkernels.DequantizeQ8;
import dev.ember.compute.dsl.testkernels.DialectTour;
import dev.ember.compute.dsl.testkernels.PackHalves;
import dev.ember.compute.dsl.testkernels.SumRows;
import dev.ember.compute.dsl.testkernels.VectorAdd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The translations of the test kernels (all constructs of the dialect) compile with real device
 * compilers: OpenCL C 1.2 with clang's OpenCL front end, CUDA with nvcc to PTX and ptxas to sm_90 code.
 * Each check is skipped, saying why, on a machine without that compiler.
 */
class KernelTranslatorCompilerTest {
    static final List<Class<?>> KERNELS = List.of(VectorAdd.class, SumRows.class, DequantizeQ8.class, PackHalves.class, DialectTour.class);

    @TempDir
    Path dir;

    @Test
    void openclCompilesWithClang() throws Exception {
        Optional<Path> clang = DeviceCompilers.clang();
        assumeTrue(clang.isPresent(), "no clang (looked in /usr/lib/llvm-*/bin and on the PATH)");
        Path cl = dir.resolve("kernels.cl");
        Files.writeString(cl, KernelTranslatorTest.TRANSLATOR.translate(Target.OPENCL, KERNELS));
        DeviceCompilers.Result r = DeviceCompilers.run(dir, List.of(clang.get().toString(), "-x", "cl", "-cl-std=CL1.2",
                "-fsyntax-only", "-Xclang", "-finclude-default-header", "-Wall", "-Werror", cl.toString()));
        assertEquals(0, r.exit(), r.output());
    }

    @Test
    void cudaCompilesWithNvccAndPtxas() throws Exception {
        Optional<Path> nvcc = DeviceCompilers.nvcc();
        assumeTrue(nvcc.isPresent(), "no nvcc/ptxas in " + DeviceCompilers.CUDA_BIN);
        Path cu = dir.resolve("kernels.cu");
        Files.writeString(cu, KernelTranslatorTest.TRANSLATOR.translate(Target.CUDA, KERNELS));
        DeviceCompilers.Result ptx = DeviceCompilers.run(dir, List.of(nvcc.get().toString(), "-ptx", "-arch=sm_90",
                Target.CUDA.compilerOptions(), "-Werror", "all-warnings", cu.toString(), "-o", "kernels.ptx"));
        assertEquals(0, ptx.exit(), ptx.output());
        DeviceCompilers.Result sass = DeviceCompilers.run(dir, List.of(DeviceCompilers.CUDA_BIN.resolve("ptxas").toString(),
                "-arch=sm_90", "kernels.ptx", "-o", "kernels.cubin"));
        assertEquals(0, sass.exit(), sass.output());
        String ptxText = Files.readString(dir.resolve("kernels.ptx"));
        for (String k : List.of("VectorAdd_add", "SumRows_sum", "DequantizeQ8_dequantize", "PackHalves_pack", "DialectTour_tour")) {
            assertEquals(true, ptxText.contains(".entry " + k + "("), k + " is an entry point of the PTX");
        }
    }
}
