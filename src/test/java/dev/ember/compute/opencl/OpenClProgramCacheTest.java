package dev.ember.compute.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.opencl.OpenClBackend.ProgramOrigin;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenClProgramCacheTest {
    private static final KernelRef IDS_2D = KernelRef.of(ClTestKernels.class, "ids2d");

    /** The test kernels' source made unique to this run, so the driver's own compiler cache cannot hide the build cost. */
    private static Function<Class<?>, String> freshSource() {
        String nonce = "\n// run " + System.nanoTime() + "\n";
        return c -> ClTestKernels.source(c) + nonce;
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".clbin")).toList();
        }
    }

    /** Runs ids2d on a 16 × 2 grid and checks every global id. */
    private static void checkRuns(OpenClBackend cl) {
        DeviceBuffer g = cl.allocate(4 * 32);
        DeviceBuffer gl = cl.allocate(4 * 32);
        cl.launch(IDS_2D, Launch.of(2, 2, 8), g, gl, 16);
        int[] back = new int[32];
        cl.download(g, 0, MemorySegment.ofArray(back));
        int[] expected = new int[32];
        for (int i = 0; i < 32; i++) expected[i] = (i / 16) * 1000 + i % 16;
        assertArrayEquals(expected, back);
    }

    @Test
    void secondOpenLoadsTheBinaryFromTheCache(@TempDir Path dir) throws IOException {
        Function<Class<?>, String> sources = freshSource();
        long buildNanos;
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            long t0 = System.nanoTime();
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class));
            buildNanos = System.nanoTime() - t0;
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class), "built once per class");
            checkRuns(cl);
        }
        List<Path> files = entries(dir);
        assertEquals(1, files.size(), "one cache entry: " + files);
        assertTrue(Files.size(files.getFirst()) > 100, "the entry holds a binary");
        long written = Files.getLastModifiedTime(files.getFirst()).toMillis();

        long loadNanos;
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            long t0 = System.nanoTime();
            assertEquals(ProgramOrigin.CACHE, cl.prepare(ClTestKernels.class));
            loadNanos = System.nanoTime() - t0;
            checkRuns(cl);
        }
        assertEquals(files, entries(dir), "a cache hit writes no new entry");
        assertEquals(written, Files.getLastModifiedTime(files.getFirst()).toMillis(), "a cache hit leaves the entry as it was");
        System.out.printf("OpenCL program: built from source in %.1f ms, loaded from the cache in %.1f ms%n", buildNanos / 1e6, loadNanos / 1e6);

        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, c -> sources.apply(c) + "// changed\n")) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class), "other source, other key");
        }
        assertEquals(2, entries(dir).size());
    }

    @Test
    void corruptOrMismatchedEntriesAreIgnoredAndRewritten(@TempDir Path dir) throws IOException {
        Function<Class<?>, String> sources = freshSource();
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class));
        }
        Path entry = entries(dir).getFirst();
        byte[] good = Files.readAllBytes(entry);

        byte[] flipped = good.clone();
        flipped[flipped.length / 2 + 50] ^= 0x5A;
        Files.write(entry, flipped);
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class), "a flipped byte is caught");
            checkRuns(cl);
        }
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.CACHE, cl.prepare(ClTestKernels.class), "the rebuilt program is stored again");
        }

        Files.write(entry, java.util.Arrays.copyOf(good, 40));
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class), "a truncated entry is ignored");
        }
        Files.write(entry, "not a program".getBytes());
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class), "garbage is ignored");
        }

        // another program's valid entry under this key: its header names the other key
        Function<Class<?>, String> other = c -> sources.apply(c) + "// other\n";
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, other)) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class));
        }
        Path otherEntry = entries(dir).stream().filter(p -> !p.equals(entry)).findFirst().orElseThrow();
        Files.copy(otherEntry, entry, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.SOURCE, cl.prepare(ClTestKernels.class), "an entry for another key is ignored");
            checkRuns(cl);
        }
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, sources)) {
            assertEquals(ProgramOrigin.CACHE, cl.prepare(ClTestKernels.class), "and replaced by a good one");
        }
    }

    /** A kernel whose OpenCL C does not compile. */
    static final class Broken {
        @Kernel
        public static void broken(KernelContext ctx, I32Buffer out) {
            out.set(ctx.globalId(0), 1);
        }

        static final String OPENCL_C = """
                __kernel void Broken_broken(__global int* out) {
                    int i = get_global_id(0);
                    out[i] = undefined_name;
                }
                """;
    }

    @Test
    void buildErrorCarriesTheLogWithTheLine(@TempDir Path dir) throws IOException {
        try (OpenClBackend cl = OpenClTestDevice.open(dir, false, c -> Broken.OPENCL_C)) {
            DeviceBuffer out = cl.allocate(4);
            OpenClBuildException e = assertThrows(OpenClBuildException.class,
                    () -> cl.launch(KernelRef.of(Broken.class, "broken"), Launch.of(1, 1), out));
            assertEquals("CL_BUILD_PROGRAM_FAILURE", e.errorName());
            assertTrue(e.getMessage().startsWith("clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE (-11)"), e.getMessage());
            assertTrue(e.getMessage().contains(Broken.class.getName()), e.getMessage());
            assertTrue(e.log().contains("undefined_name") && e.log().contains(":3:"), e.log());
            assertTrue(e.getMessage().contains(e.log()));
        }
        assertFalse(entries(dir).iterator().hasNext(), "a failed build is not cached");
    }
}
