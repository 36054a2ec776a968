package dev.ember.compute.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole backend — FFM bindings, context handling, buffers, NVRTC, PTX cache, module load, launch
 * parameters — against stand-in libraries built here from {@code fake_cuda.c} (compiled against the real
 * {@code cuda.h}, so names and prototypes are the driver's) and {@code fake_nvrtc.c} (compiles with nvcc).
 * The fake driver runs no kernels: it records each launch's geometry and parameter values. Needs gcc, nvcc
 * and cuda.h; the real-GPU counterpart is {@link CudaDeviceTest}.
 */
class CudaFakeDriverTest {
    private static final Path CUDA = Path.of("/usr/local/cuda-13.0");
    private static Path dir;
    private static Path driverLibrary;
    private static Path nvrtcLibrary;
    private static CudaBackend cuda;
    private static MethodHandle lastLaunch;
    private static MethodHandle liveAllocations;
    private static MethodHandle retains;

    @BeforeAll
    static void build() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc not installed");
        Assumptions.assumeTrue(Files.exists(CUDA.resolve("include/cuda.h")) && Files.isExecutable(CUDA.resolve("bin/nvcc")), "CUDA 13.0 toolkit not in " + CUDA);
        dir = Files.createTempDirectory("ember-fake-cuda");
        driverLibrary = dir.resolve("libfakecuda.so");
        nvrtcLibrary = dir.resolve("libfakenvrtc.so");
        gcc(resource("fake_cuda.c"), driverLibrary, "-I" + CUDA.resolve("include"));
        gcc(resource("fake_nvrtc.c"), nvrtcLibrary, "-DNVCC=\"" + CUDA.resolve("bin/nvcc") + "\"");

        SymbolLookup fake = SymbolLookup.libraryLookup(driverLibrary, Arena.global());
        Linker linker = Linker.nativeLinker();
        lastLaunch = linker.downcallHandle(fake.findOrThrow("fake_last_launch"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        liveAllocations = linker.downcallHandle(fake.findOrThrow("fake_live_allocations"), FunctionDescriptor.of(JAVA_LONG));
        retains = linker.downcallHandle(fake.findOrThrow("fake_retains"), FunctionDescriptor.of(JAVA_INT));
        cuda = openFake();
    }

    private static CudaBackend openFake() {
        System.setProperty("ember.cuda.driver", driverLibrary.toString());
        System.setProperty(NvrtcLocator.PROPERTY, nvrtcLibrary.toString());
        try {
            return CudaBackend.open(0, HandWrittenCuda::source, new PtxCache(dir.resolve("ptx")));
        } finally {
            System.clearProperty("ember.cuda.driver");
            System.clearProperty(NvrtcLocator.PROPERTY);
        }
    }

    private static Path resource(String name) throws IOException {
        Path out = dir.resolve(name);
        try (InputStream in = CudaFakeDriverTest.class.getResourceAsStream(name)) {
            Files.copy(in, out);
        }
        return out;
    }

    private static void gcc(Path source, Path library, String flag) throws Exception {
        Process p = new ProcessBuilder(List.of("/usr/bin/gcc", "-Wall", "-Werror", "-shared", "-fPIC", flag, source.toString(), "-o", library.toString()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
        assertEquals(0, p.exitValue(), "gcc " + source.getFileName() + ":\n" + out);
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    private record LaunchRecord(int[] dims, long[] values) {}

    private static LaunchRecord last() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dims = arena.allocate(JAVA_INT, 6);
            MemorySegment values = arena.allocate(JAVA_LONG, 16);
            int n = (int) lastLaunch.invokeExact(dims, values);
            return new LaunchRecord(dims.toArray(JAVA_INT), n < 0 ? null : values.asSlice(0, 8L * n).toArray(JAVA_LONG));
        }
    }

    @Test
    void describesTheFakeDevice() {
        assertEquals("cuda (Fake GPU)", cuda.name());
        assertEquals(90, cuda.computeCapability());
        assertEquals("compute_90", cuda.architecture());
        assertEquals(1024, cuda.maxThreadsPerBlock());
        assertEquals(80L << 30, cuda.maxAllocationBytes());
        assertEquals(nvrtcLibrary + " (NVRTC 13.0)", cuda.compiler());
    }

    @Test
    void buffersAreZeroedAndRoundTrip() {
        try (DeviceBuffer b = cuda.allocate(64)) {
            byte[] back = new byte[64];
            cuda.download(b, 0, MemorySegment.ofArray(back));
            assertArrayEquals(new byte[64], back, "the fake hands out 0xAB garbage; allocate must clear it");
            int[] ints = {1, -2, 3, 0x7fffffff};
            cuda.upload(b, 16, MemorySegment.ofArray(ints));
            int[] got = new int[6];
            cuda.download(b, 12, MemorySegment.ofArray(got));
            assertArrayEquals(new int[] {0, 1, -2, 3, 0x7fffffff, 0}, got);
        }
    }

    @Test
    void launchPassesGeometryAndArgumentValues() throws Throwable {
        try (DeviceBuffer x = cuda.allocate(4000); DeviceBuffer y = cuda.allocate(4000)) {
            cuda.launch(KernelRef.of(Saxpy.class, "saxpy"), Launch.cover(1000, 128), x, y, 2.5f, 1000);
            LaunchRecord r = last();
            assertArrayEquals(new int[] {8, 1, 1, 128, 1, 1}, r.dims());
            assertArrayEquals(new long[] {((CudaBuffer) x).pointer(), ((CudaBuffer) y).pointer(), Float.floatToRawIntBits(2.5f), 1000}, r.values());
        }
        Path cached = dir.resolve("ptx").resolve(PtxCache.key(Saxpy.CUDA, "compute_90", "13.0") + ".ptx");
        String ptx = Files.readString(cached);
        assertTrue(ptx.contains(".entry Saxpy_saxpy(") && ptx.contains(".target sm_90"), ptx);
    }

    @Test
    void twoDimensionalLaunch() throws Throwable {
        try (DeviceBuffer out = cuda.allocate(4 * 20 * 9 * GridIds.FIELDS)) {
            cuda.launch(KernelRef.of(GridIds.class, "ids"), new Launch(new int[] {3, 5, 1}, new int[] {8, 2, 1}), out, 20, 9);
            LaunchRecord r = last();
            assertArrayEquals(new int[] {3, 5, 1, 8, 2, 1}, r.dims());
            assertArrayEquals(new long[] {((CudaBuffer) out).pointer(), 20, 9}, r.values());
        }
    }

    @Test
    void compileErrorCarriesTheLog() {
        try (DeviceBuffer x = cuda.allocate(64)) {
            CudaException e = assertThrows(CudaException.class, () -> cuda.launch(KernelRef.of(Broken.class, "broken"), Launch.of(1, 16), x));
            assertTrue(e.getMessage().startsWith("nvrtcCompileProgram(Broken.cu, --gpu-architecture=compute_90 --fmad=false) failed: NVRTC_ERROR_COMPILATION (6)\n"), e.getMessage());
            assertTrue(e.getMessage().contains("identifier \"undefined_value\" is undefined"), e.getMessage());
        }
    }

    @Test
    void driverErrorsNameTheCallAndTheError() {
        CudaException e = assertThrows(CudaException.class, () -> cuda.allocate(1L << 41));
        assertEquals("cuMemAlloc_v2(2199023255552 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)", e.getMessage());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertEquals(2, e.code());
    }

    @Test
    void otherThreadsGetTheContext() throws Throwable {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try (DeviceBuffer b = cuda.allocate(16)) {
                cuda.upload(b, 0, MemorySegment.ofArray(new int[] {5, 6, 7, 8}));
                int[] back = new int[4];
                cuda.download(b, 0, MemorySegment.ofArray(back));
                assertArrayEquals(new int[] {5, 6, 7, 8}, back);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        assertNull(failure.get(), () -> "the fake rejects calls without the context current: " + failure.get());
    }

    @Test
    void closeFreesBuffersAndReleasesTheContext() throws Throwable {
        long allocationsBefore = (long) liveAllocations.invokeExact();
        int retainsBefore = (int) retains.invokeExact();
        CudaBackend second = openFake();
        assertEquals(retainsBefore + 1, (int) retains.invokeExact());
        second.allocate(100);
        DeviceBuffer freedEarly = second.allocate(100);
        second.allocate(100);
        freedEarly.close();
        assertEquals(allocationsBefore + 2, (long) liveAllocations.invokeExact());
        second.close();
        assertEquals(allocationsBefore, (long) liveAllocations.invokeExact());
        assertEquals(retainsBefore, (int) retains.invokeExact());
        assertThrows(IllegalStateException.class, () -> second.allocate(1));
    }
}
