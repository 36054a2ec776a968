package dev.ember.compute.cuda;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.BackendUnavailableException;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.JavaBackend;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.Target;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend on a real GPU, with hand-written CUDA C for the test kernels ({@link HandWrittenCuda}).
 * Skipped, with the reason, on a machine without an NVIDIA driver, device or NVRTC.
 */
class CudaDeviceTest {
    private static CudaBackend cuda;
    private static String unavailable;
    private static Path cacheDir;

    @BeforeAll
    static void open() throws IOException {
        cacheDir = Files.createTempDirectory("ember-cuda-ptx");
        try {
            cuda = CudaBackend.open(0, HandWrittenCuda::source, new PtxCache(cacheDir));
            System.out.println("[cuda] " + cuda);
        } catch (BackendUnavailableException e) {
            unavailable = e.getMessage();
        }
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    @BeforeEach
    void needsDevice() {
        Assumptions.assumeTrue(cuda != null, () -> "cuda backend unavailable: " + unavailable);
    }

    @Test
    void describesTheDevice() {
        assertTrue(cuda.name().startsWith("cuda (") && cuda.name().endsWith(")") && cuda.name().length() > 7, cuda.name());
        assertTrue(cuda.computeCapability() >= 50, "compute capability " + cuda.computeCapability());
        assertEquals("compute_" + cuda.computeCapability(), cuda.architecture());
        assertTrue(cuda.maxThreadsPerBlock() >= 512, "max threads per block " + cuda.maxThreadsPerBlock());
        assertTrue(cuda.maxAllocationBytes() > (1L << 30), "device memory " + cuda.maxAllocationBytes());
    }

    @Test
    void roundTripAtOffsetsFromHeapAndNativeMemory() {
        try (DeviceBuffer b = cuda.allocate(1000); Arena arena = Arena.ofConfined()) {
            assertEquals(1000, b.byteSize());
            byte[] zeros = new byte[1000];
            byte[] back = new byte[1000];
            cuda.download(b, 0, MemorySegment.ofArray(back));
            assertArrayEquals(zeros, back, "a new buffer is zero-filled");

            byte[] heap = new byte[300];
            for (int i = 0; i < heap.length; i++) heap[i] = (byte) (i * 7 + 1);
            cuda.upload(b, 100, MemorySegment.ofArray(heap));
            MemorySegment nativeSrc = arena.allocate(50);
            for (int i = 0; i < 50; i++) nativeSrc.set(JAVA_BYTE, i, (byte) (200 - i));
            cuda.upload(b, 950, nativeSrc);

            MemorySegment nativeDst = arena.allocate(1000);
            cuda.download(b, 0, nativeDst);
            for (int i = 0; i < 1000; i++) {
                byte expected = i >= 100 && i < 400 ? heap[i - 100] : i >= 950 ? (byte) (200 - (i - 950)) : 0;
                assertEquals(expected, nativeDst.get(JAVA_BYTE, i), "byte " + i);
            }
            byte[] slice = new byte[10];
            cuda.download(b, 105, MemorySegment.ofArray(slice));
            for (int i = 0; i < 10; i++) assertEquals(heap[5 + i], slice[i]);

            assertThrows(IndexOutOfBoundsException.class, () -> cuda.upload(b, 951, nativeSrc));
            assertThrows(IndexOutOfBoundsException.class, () -> cuda.download(b, -1, MemorySegment.ofArray(slice)));
        }
    }

    @Test
    void saxpyMatchesTheJavaBackend() {
        int n = 1000;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 0.5f - 100;
            y[i] = 3 - i * 0.25f;
        }
        KernelRef saxpy = KernelRef.of(Saxpy.class, "saxpy");
        Launch launch = Launch.cover(n, 128); // 8 groups = 1024 items: the last 24 are bounds-checked out
        float[] onGpu = new float[n];
        try (DeviceBuffer dx = cuda.allocate(4L * n); DeviceBuffer dy = cuda.allocate(4L * n)) {
            cuda.upload(dx, 0, MemorySegment.ofArray(x));
            cuda.upload(dy, 0, MemorySegment.ofArray(y));
            cuda.launch(saxpy, launch, dx, dy, 2f, n);
            cuda.launch(saxpy, launch, dx, dy, 2f, n); // in order on one stream: y + 4x
            cuda.download(dy, 0, MemorySegment.ofArray(onGpu));
        }
        for (int i = 0; i < n; i++) assertEquals(y[i] + 4 * x[i], onGpu[i], 1e-4f * Math.max(1, Math.abs(onGpu[i])), "y[" + i + "]");

        float[] onJava = new float[n];
        try (JavaBackend java = new JavaBackend()) {
            DeviceBuffer jx = java.allocate(4L * n);
            DeviceBuffer jy = java.allocate(4L * n);
            java.upload(jx, 0, MemorySegment.ofArray(x));
            java.upload(jy, 0, MemorySegment.ofArray(y));
            java.launch(saxpy, launch, jx, jy, 2f, n);
            java.launch(saxpy, launch, jx, jy, 2f, n);
            java.download(jy, 0, MemorySegment.ofArray(onJava));
        }
        for (int i = 0; i < n; i++) assertEquals(onJava[i], onGpu[i], 1e-4f * Math.max(1, Math.abs(onJava[i])), "y[" + i + "] vs java");
    }

    @Test
    void twoDimensionalIds() {
        int width = 20;
        int height = 9;
        Launch launch = new Launch(new int[] {3, 5, 1}, new int[] {8, 2, 1}); // 24 × 10 items over a 20 × 9 grid
        int[] onGpu = new int[width * height * GridIds.FIELDS];
        try (DeviceBuffer out = cuda.allocate(4L * onGpu.length)) {
            cuda.launch(KernelRef.of(GridIds.class, "ids"), launch, out, width, height);
            cuda.download(out, 0, MemorySegment.ofArray(onGpu));
        }
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int b = (y * width + x) * GridIds.FIELDS;
                int[] expected = {x, y, x % 8, y % 2, y / 2};
                int[] actual = {onGpu[b], onGpu[b + 1], onGpu[b + 2], onGpu[b + 3], onGpu[b + 4]};
                assertArrayEquals(expected, actual, "item (" + x + ", " + y + ")");
            }
        }
        int b = (7 * width + 13) * GridIds.FIELDS;
        assertArrayEquals(new int[] {13, 7, 5, 1, 3}, new int[] {onGpu[b], onGpu[b + 1], onGpu[b + 2], onGpu[b + 3], onGpu[b + 4]});
    }

    @Test
    void compileErrorCarriesTheNvrtcLog() {
        try (DeviceBuffer x = cuda.allocate(64)) {
            CudaException e = assertThrows(CudaException.class, () -> cuda.launch(KernelRef.of(Broken.class, "broken"), Launch.of(1, 16), x));
            assertEquals("NVRTC_ERROR_COMPILATION", e.errorName());
            assertTrue(e.getMessage().startsWith("nvrtcCompileProgram(Broken.cu, --gpu-architecture=" + cuda.architecture() + " "
                            + Target.CUDA.compilerOptions() + ") failed: NVRTC_ERROR_COMPILATION ("),
                    e.getMessage());
            assertTrue(e.getMessage().contains("undefined_value") && e.getMessage().contains("is undefined"), e.getMessage());
        }
    }

    @Test
    void compiledPtxIsCachedOnDisk() throws IOException {
        try (DeviceBuffer dx = cuda.allocate(16); DeviceBuffer dy = cuda.allocate(16)) {
            cuda.launch(KernelRef.of(Saxpy.class, "saxpy"), Launch.of(1, 4), dx, dy, 1f, 4);
            cuda.finish();
        }
        Path file = new PtxCache(cacheDir).path(PtxCache.key(Saxpy.CUDA, cuda.architecture(), cuda.compiler().replaceAll(".*\\(NVRTC (.*)\\)$", "$1")));
        assertTrue(Files.exists(file), "expected " + file + " among " + list(cacheDir));
        String ptx = Files.readString(file);
        assertTrue(ptx.contains(".entry Saxpy_saxpy("), ptx);
        assertTrue(ptx.contains(".target sm_" + cuda.computeCapability()), ptx);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void anyThreadMayUseTheBackend() throws InterruptedException {
        int n = 256;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        try (DeviceBuffer dx = cuda.allocate(4L * n); DeviceBuffer dy = cuda.allocate(4L * n)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    cuda.upload(dx, 0, MemorySegment.ofArray(ones));
                    cuda.launch(KernelRef.of(Saxpy.class, "saxpy"), Launch.cover(n, 64), dx, dy, 3f, n);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.join();
            assertEquals(null, failure.get(), () -> "on another thread: " + failure.get());
            float[] back = new float[n];
            cuda.download(dy, 0, MemorySegment.ofArray(back));
            for (int i = 0; i < n; i++) assertEquals(3f, back[i], "y[" + i + "]");
        }
    }

    @Test
    void argumentMistakesAreRejectedBeforeLaunch() {
        KernelRef saxpy = KernelRef.of(Saxpy.class, "saxpy");
        try (DeviceBuffer dx = cuda.allocate(16); JavaBackend java = new JavaBackend()) {
            DeviceBuffer foreign = java.allocate(16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.launch(saxpy, Launch.of(1, 4), dx, foreign, 1f, 4));
            assertTrue(e.getMessage().startsWith("not a buffer of this cuda backend"), e.getMessage());
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> cuda.launch(saxpy, Launch.of(1, cuda.maxThreadsPerBlock() + 1), dx, dx, 1f, 4));
            assertTrue(big.getMessage().contains("items per work-group"), big.getMessage());
        }
        DeviceBuffer freed = cuda.allocate(16);
        freed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cuda.launch(saxpy, Launch.of(1, 4), freed, freed, 1f, 4));
        assertTrue(e.getMessage().startsWith("use of a freed buffer"), e.getMessage());
    }

    @Test
    void readsOfFloatsAndIntsKeepTheirBits() {
        try (DeviceBuffer b = cuda.allocate(8); Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(8);
            src.set(JAVA_FLOAT, 0, -0.0f);
            src.set(JAVA_INT, 4, 0x7fc00001);
            cuda.upload(b, 0, src);
            MemorySegment dst = arena.allocate(8);
            cuda.download(b, 0, dst);
            assertEquals(Float.floatToRawIntBits(-0.0f), dst.get(JAVA_INT, 0));
            assertEquals(0x7fc00001, dst.get(JAVA_INT, 4));
        }
    }
}
