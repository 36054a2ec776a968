package dev.ember.compute.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PTX on disk: keyed by source, architecture and NVRTC version; compiled once, then read back. */
class CudaPtxCacheTest {
    @Test
    void keyIsSha256OfEveryPart() {
        String k = PtxCache.key("src", "compute_90", "13.0");
        assertTrue(k.matches("[0-9a-f]{64}"), k);
        assertEquals(k, PtxCache.key("src", "compute_90", "13.0"));
        assertNotEquals(k, PtxCache.key("src2", "compute_90", "13.0"));
        assertNotEquals(k, PtxCache.key("src", "compute_89", "13.0"));
        assertNotEquals(k, PtxCache.key("src", "compute_90", "12.8"));
        assertNotEquals(PtxCache.key("ab", "c", "v"), PtxCache.key("a", "bc", "v"), "parts must not run together");
    }

    @Test
    void compilesOnceThenReadsTheFile(@TempDir Path dir) throws IOException {
        PtxCache cache = new PtxCache(dir.resolve("nested/cuda"));
        AtomicInteger compiles = new AtomicInteger();
        byte[] ptx = ".version 9.0\n.target sm_90\n".getBytes(StandardCharsets.US_ASCII);
        String key = PtxCache.key("kernel", "compute_90", "13.0");
        assertArrayEquals(ptx, cache.get(key, () -> {
            compiles.incrementAndGet();
            return ptx;
        }));
        assertArrayEquals(ptx, cache.get(key, () -> {
            compiles.incrementAndGet();
            return new byte[0];
        }));
        assertEquals(1, compiles.get());
        Path file = dir.resolve("nested/cuda/" + key + ".ptx");
        assertArrayEquals(ptx, Files.readAllBytes(file));
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(1, s.count(), "no temporary files left behind");
        }
    }

    @Test
    void configuredDirectory() {
        String previous = System.getProperty(PtxCache.PROPERTY);
        try {
            System.setProperty(PtxCache.PROPERTY, "/tmp/ember-ptx-test");
            assertEquals(Path.of("/tmp/ember-ptx-test"), PtxCache.configured().dir());
            System.clearProperty(PtxCache.PROPERTY);
            assertEquals(Path.of(System.getProperty("user.home"), ".cache", "ember", "cuda"), PtxCache.configured().dir());
        } finally {
            if (previous == null) System.clearProperty(PtxCache.PROPERTY);
            else System.setProperty(PtxCache.PROPERTY, previous);
        }
    }
}
