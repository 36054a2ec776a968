package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufTensor;
import dev.ember.testing.Fixtures;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RepackCache}: the first start writes the repacked copies to a file, a later start maps them (the same bytes, the
 * same matmul outputs bit for bit); a file that does not match is logged, ignored and rewritten; a directory that cannot be
 * written leaves the copies in memory; another model (or the same one changed) gets another file.
 */
class RepackCacheTest {
    @TempDir
    Path dir;

    /** The model's matrices that this JVM repacks: every 2-D tensor viewed as a matrix. */
    private static List<WeightMatrix> matrices(GgufFile f) {
        List<WeightMatrix> ms = new ArrayList<>();
        for (GgufTensor t : f.tensors()) if (t.shape().length == 2) ms.add(WeightMatrix.of(t));
        return ms;
    }

    private static List<Repackable> repacked(List<WeightMatrix> ms) {
        List<Repackable> rs = new ArrayList<>();
        for (WeightMatrix m : ms) if (m instanceof Repackable r && r.packedRecords() != null) rs.add(r);
        return rs;
    }

    private static List<String> logDuring(Runnable r) {
        List<String> lines = new ArrayList<>();
        Logger log = Logger.getLogger(RepackCache.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord rec) {
                lines.add(rec.getLevel() + " " + (rec.getParameters() == null ? rec.getMessage()
                        : java.text.MessageFormat.format(rec.getMessage(), rec.getParameters())));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try {
            r.run();
        } finally {
            log.removeHandler(h);
        }
        return lines;
    }

    @ParameterizedTest
    @ValueSource(strings = {"synth-llama-spm-256-q4_0.gguf", "synth-llama-spm-256-q4_k_m.gguf", "synth-llama-spm-256-q6_k.gguf"})
    void aSecondStartMapsTheCopiesTheFirstWrote(String model) throws IOException {
        assumeTrue(CpuKernels.vectorized(), "repacking needs 256-bit vectors");
        Path gguf = Fixtures.model(model);
        try (WorkerPool pool = new WorkerPool(2);
             GgufFile f1 = GgufFile.open(gguf); GgufFile f2 = GgufFile.open(gguf)) {
            List<WeightMatrix> first = matrices(f1), second = matrices(f2);
            RepackCache c1 = RepackCache.in(f1, dir), c2 = RepackCache.in(f2, dir);
            try {
                int n = c1.repack(first, pool);
                assertTrue(n > 0, "nothing repacked");
                assertEquals(n, repacked(first).size());
                for (Repackable r : repacked(first)) assertFalse(r.packedRecords().isReadOnly(), "first start: copies in memory");
                c1.awaitWrite();
                Path file = c1.file();
                assertNotNull(file);
                assertTrue(Files.isRegularFile(file), "no cache file written");
                assertTrue(file.getFileName().toString().startsWith(model.replace(".gguf", ".")), file.toString());
                try (Stream<Path> s = Files.list(dir)) {
                    assertEquals(List.of(file), s.toList(), "only the cache file is left (no temporary)");
                }

                List<String> log = logDuring(() -> assertEquals(n, c2.repack(second, pool)));
                assertEquals(file, c2.file());
                assertTrue(log.stream().anyMatch(l -> l.contains("mapped from " + file)), log.toString());
                List<Repackable> a = repacked(first), b = repacked(second);
                assertEquals(a.size(), b.size());
                long bytes = 0;
                for (int i = 0; i < a.size(); i++) {
                    MemorySegment x = a.get(i).packedRecords(), y = b.get(i).packedRecords();
                    assertTrue(y.isReadOnly(), "second start: a slice of the mapped file");
                    assertEquals(-1, x.mismatch(y), ((WeightMatrix) a.get(i)).name() + ": mapped records differ");
                    bytes += y.byteSize();
                }
                assertTrue(Files.size(file) >= bytes && Files.size(file) < bytes + 4096L * (a.size() + 2), Files.size(file) + " vs " + bytes);

                // The same outputs through the kernels, one token and five (the four-token kernel and its tail).
                Random rnd = new Random(3);
                for (int i = 0; i < first.size(); i++) {
                    WeightMatrix m1 = first.get(i), m2 = second.get(i);
                    if (!(m1 instanceof Repackable)) continue;
                    for (int n1 : new int[] {1, 5}) {
                        float[] x = Blocks.activations(m1.cols() * n1, rnd);
                        float[] o1 = new float[m1.rows() * n1], o2 = new float[m1.rows() * n1];
                        new Matmul(pool).apply(m1, x, 0, n1, o1, 0);
                        new Matmul(pool).apply(m2, x, 0, n1, o2, 0);
                        for (int k = 0; k < o1.length; k++) {
                            assertEquals(Float.floatToRawIntBits(o1[k]), Float.floatToRawIntBits(o2[k]), m1.name() + " n " + n1 + " at " + k);
                        }
                    }
                    float[] r1 = new float[m1.cols()], r2 = new float[m1.cols()];
                    m1.dequantizeRow(m1.rows() - 1, r1, 0);
                    m2.dequantizeRow(m1.rows() - 1, r2, 0);
                    for (int k = 0; k < r1.length; k++) assertEquals(Float.floatToRawIntBits(r1[k]), Float.floatToRawIntBits(r2[k]), m1.name());
                }
            } finally {
                c1.close();
                c2.close();
            }
            assertTrue(repacked(first).isEmpty() && repacked(second).isEmpty(), "close drops every copy");
            // After close the matrices read their original data again.
            WeightMatrix m = second.stream().filter(x -> x instanceof Repackable).findFirst().orElseThrow();
            float[] row = new float[m.cols()];
            m.dequantizeRow(0, row, 0);
        }
    }

    /** A cache file broken in {@code how}: the next start says why, repacks in memory, and writes a good file again. */
    @ParameterizedTest
    @ValueSource(strings = {"truncated", "magic", "version", "entry", "empty"})
    void aFileThatDoesNotMatchIsIgnoredAndRewritten(String how) throws IOException {
        assumeTrue(CpuKernels.vectorized(), "repacking needs 256-bit vectors");
        Path gguf = Fixtures.model("synth-llama-spm-256-q4_0.gguf");
        Path file;
        long size;
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(gguf); RepackCache c = RepackCache.in(f, dir)) {
            c.repack(matrices(f), pool);
            c.awaitWrite();
            file = c.file();
            size = Files.size(file);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            switch (how) {
                case "truncated" -> ch.truncate(size / 2);
                case "magic" -> ch.write(java.nio.ByteBuffer.wrap(new byte[] {'X'}), 0);
                case "version" -> ch.write(java.nio.ByteBuffer.wrap(new byte[] {9}), 8);
                case "entry" -> ch.write(java.nio.ByteBuffer.wrap(new byte[] {'#'}), 50);   // first byte of the first name
                case "empty" -> ch.truncate(0);
                default -> throw new IllegalArgumentException(how);
            }
        }
        String why = switch (how) {
            case "truncated" -> "the copies take " + size + " (truncated?)";
            case "magic" -> "not an Ember repacked-weights file";
            case "version" -> "format version 9, this Ember reads " + RepackCache.VERSION;
            case "entry" -> "its header does not list this model's repacked tensors";
            default -> "shorter than its header (truncated?)";
        };
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(gguf); RepackCache c = RepackCache.in(f, dir)) {
            List<WeightMatrix> ms = matrices(f);
            List<String> log = logDuring(() -> {
                assertTrue(c.repack(ms, pool) > 0);
                c.awaitWrite();
            });
            assertTrue(log.stream().anyMatch(l -> l.contains("ignoring repacked-weights cache " + file) && l.contains(why)), log.toString());
            assertTrue(log.stream().anyMatch(l -> l.contains("repacked weights written to " + file)), log.toString());
            for (Repackable r : repacked(ms)) assertFalse(r.packedRecords().isReadOnly(), "repacked in memory");
            assertEquals(size, Files.size(file), "rewritten whole");
        }
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(gguf); RepackCache c = RepackCache.in(f, dir)) {
            List<WeightMatrix> ms = matrices(f);
            assertTrue(c.repack(ms, pool) > 0);
            for (Repackable r : repacked(ms)) assertTrue(r.packedRecords().isReadOnly(), "the rewritten file is mapped");
        }
    }

    /** Two loads of one model in one process, both missing the file: one file results, whole, and no temporary. */
    @Test
    void twoWritersOfOneModelLeaveOneWholeFile() throws IOException {
        assumeTrue(CpuKernels.vectorized(), "repacking needs 256-bit vectors");
        Path gguf = Fixtures.model("synth-llama-spm-256-q4_k_m.gguf");
        try (WorkerPool pool = new WorkerPool(2); GgufFile f1 = GgufFile.open(gguf); GgufFile f2 = GgufFile.open(gguf);
             RepackCache c1 = RepackCache.in(f1, dir); RepackCache c2 = RepackCache.in(f2, dir)) {
            List<WeightMatrix> a = matrices(f1), b = matrices(f2);
            c1.repack(a, pool);
            c2.repack(b, pool);
            c1.awaitWrite();
            c2.awaitWrite();
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(c1.file()), s.toList(), "one file, no temporary");
            }
            try (GgufFile f3 = GgufFile.open(gguf); RepackCache c3 = RepackCache.in(f3, dir)) {
                List<WeightMatrix> c = matrices(f3);
                c3.repack(c, pool);
                List<Repackable> x = repacked(a), z = repacked(c);
                assertEquals(x.size(), z.size());
                for (int i = 0; i < x.size(); i++) {
                    assertTrue(z.get(i).packedRecords().isReadOnly(), "mapped");
                    assertEquals(-1, x.get(i).packedRecords().mismatch(z.get(i).packedRecords()));
                }
            }
        }
    }

    @Test
    void aDirectoryThatCannotBeWrittenKeepsTheCopiesInMemory() throws IOException {
        assumeTrue(CpuKernels.vectorized(), "repacking needs 256-bit vectors");
        Path notADir = Files.writeString(dir.resolve("a-file"), "x");
        Path gguf = Fixtures.model("synth-llama-spm-256-q4_0.gguf");
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(gguf); RepackCache c = RepackCache.in(f, notADir.resolve("sub"))) {
            List<WeightMatrix> ms = matrices(f);
            List<String> log = logDuring(() -> {
                assertTrue(c.repack(ms, pool) > 0);
                c.awaitWrite();
            });
            assertTrue(log.stream().anyMatch(l -> l.matches("WARN(ING)? could not write repacked-weights cache .*Not a directory.*")), log.toString());
            assertFalse(repacked(ms).isEmpty());
            for (Repackable r : repacked(ms)) assertFalse(r.packedRecords().isReadOnly());
        }
    }

    @Test
    void offKeepsTheCopiesInMemoryAndWritesNothing() throws IOException {
        assumeTrue(CpuKernels.vectorized(), "repacking needs 256-bit vectors");
        Path gguf = Fixtures.model("synth-llama-spm-256-q4_k_m.gguf");
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(gguf); RepackCache c = RepackCache.in(f, null)) {
            List<WeightMatrix> ms = matrices(f);
            assertTrue(c.repack(ms, pool) > 0);
            assertNull(c.file());
            c.awaitWrite();
            assertEquals(0, c.repack(ms, pool), "already repacked");
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }

    /** A changed tensor (same header, one weight byte) gets another file: a stale copy is never mapped. */
    @Test
    void aChangedModelGetsAnotherFile() throws IOException {
        assumeTrue(CpuKernels.vectorized(), "repacking needs 256-bit vectors");
        Path a = dir.resolve("model.gguf"), b = dir.resolve("other").resolve("model.gguf");
        Files.copy(Fixtures.model("synth-llama-spm-256-q4_0.gguf"), a);
        Files.createDirectories(b.getParent());
        Files.copy(a, b);
        long at;
        try (GgufFile f = GgufFile.open(b)) {
            WeightMatrix m = matrices(f).stream().filter(x -> x instanceof Repackable r && r.packable()).findFirst().orElseThrow();
            at = m.data().address() - f.header().address() + 3;   // a quant byte of the first block
        }
        try (FileChannel ch = FileChannel.open(b, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            ch.read(one, at);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x11)}), at);
        }
        Path cache = dir.resolve("cache");
        Path fa, fb;
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(a); RepackCache c = RepackCache.in(f, cache)) {
            c.repack(matrices(f), pool);
            c.awaitWrite();
            fa = c.file();
        }
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(b); RepackCache c = RepackCache.in(f, cache)) {
            List<WeightMatrix> ms = matrices(f);
            c.repack(ms, pool);
            for (Repackable r : repacked(ms)) assertFalse(r.packedRecords().isReadOnly(), "not mapped from the other model's file");
            c.awaitWrite();
            fb = c.file();
        }
        assertNotEquals(fa, fb);
        assertTrue(Files.isRegularFile(fa) && Files.isRegularFile(fb));
    }

    @Test
    void repackingOffLeavesEveryMatrixInPlace() throws IOException {
        Path gguf = Fixtures.model("synth-llama-spm-256-q4_0.gguf");
        String old = System.getProperty("ember.cpu.repack");
        System.setProperty("ember.cpu.repack", "false");
        try (WorkerPool pool = new WorkerPool(1); GgufFile f = GgufFile.open(gguf); RepackCache c = RepackCache.in(f, dir)) {
            List<WeightMatrix> ms = matrices(f);
            assertEquals(0, c.repack(ms, pool));
            assertTrue(repacked(ms).isEmpty());
            assertNull(c.file());
        } finally {
            if (old == null) System.clearProperty("ember.cpu.repack");
            else System.setProperty("ember.cpu.repack", old);
        }
    }
}
