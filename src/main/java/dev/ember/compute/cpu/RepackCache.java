package dev.ember.compute.cpu;

import dev.ember.gguf.GgufFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * A model's repacked matrices ({@link Repackable}: Q4_0, Q4_K and Q6_K, eight rows interleaved) kept in a file, so that only the
 * first start on a model pays for repacking: later starts map the file and the decode kernels read the copies in place,
 * as they read the GGUF file. Without this every start copied the matrices again (llama-1b Q4_0: ~600 MB, about 1 s of
 * cold start, perf/RESULTS.md, tenth session).
 *
 * <p>The file is {@code <dir>/<gguf name>.<key>.repacked}; the key is SHA-256 over what the copies depend on: this
 * format's version and the record layouts, the GGUF file's size and header (metadata and tensor infos), and per repacked
 * tensor its name, type, shape and first and last {@value #SAMPLE} data bytes. Another model, a re-quantized file or
 * another vector width (which repacks other matrices) gives another name. The records themselves are not checksummed at
 * start (that would read the whole file on every start, the work the file exists to avoid): the file is trusted like the
 * GGUF file it came from. Layout, little-endian:
 * <pre>
 *   [0, 8)     "EMBRPACK"
 *   [8, 12)    format version
 *   [12, 16)   entries n
 *   [16, 48)   the key's SHA-256
 *   [48, ...)  n entries: u16 name length, UTF-8 name, i32 GGML type id, i32 rows, i32 cols, i64 offset, i64 bytes
 *   at each entry's offset (a multiple of 4096): its records ({@link Q4_0x8} / {@link Q4_Kx8} / {@link Q6_Kx8} layout)
 * </pre>
 *
 * <p>On a miss the matrices are repacked in memory as before and a background thread writes the file (to a temporary
 * name, fsynced, then moved into place, so no process ever maps a partial file); {@link #close} waits for it. A file that
 * does not match (truncated, another version) is logged, ignored and rewritten; a directory that cannot be written is
 * logged and the copies stay in memory. The directory is {@code ember.cpu.repack-cache} (or {@code EMBER_CPU_REPACK_CACHE}),
 * default {@code ~/.cache/ember/repacked}; {@code off} keeps copies in memory only.
 */
public final class RepackCache implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RepackCache.class.getName());
    public static final String PROPERTY = "ember.cpu.repack-cache";
    public static final String ENV = "EMBER_CPU_REPACK_CACHE";
    static final int VERSION = 1;
    private static final byte[] MAGIC = "EMBRPACK".getBytes(StandardCharsets.US_ASCII);
    private static final int FIXED_HEADER = 48;
    private static final long PAGE = 4096;
    static final int SAMPLE = 64;
    private static final long WRITE_CHUNK = 16 << 20;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String MISSING = "missing";
    /** Temporary files this process has started, for their names. */
    private static final java.util.concurrent.atomic.AtomicLong WRITES = new java.util.concurrent.atomic.AtomicLong();

    private final GgufFile source;
    /** Where the file lives; null keeps the copies in memory only. */
    private final Path dir;
    /** The matrices repacked through this cache, dropped on {@link #close}. */
    private final List<Repackable> handled = new ArrayList<>();
    /** The mapped file whose slices the matrices read, or null. */
    private Arena mapping;
    private Thread writer;
    private Path file;

    private RepackCache(GgufFile source, Path dir) {
        this.source = source;
        this.dir = dir;
    }

    /** The cache for {@code source}'s matrices in the configured directory (see the class comment). */
    public static RepackCache configured(GgufFile source) {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) v = System.getenv(ENV);
        if (v == null || v.isBlank()) return new RepackCache(source, Path.of(System.getProperty("user.home"), ".cache", "ember", "repacked"));
        if (v.equalsIgnoreCase("off")) return new RepackCache(source, null);
        return new RepackCache(source, Path.of(v));
    }

    /** The cache in {@code dir}; null keeps copies in memory only. */
    public static RepackCache in(GgufFile source, Path dir) {
        return new RepackCache(source, dir);
    }

    /** The file the copies were mapped from or are written to, or null (nothing repacked, or kept in memory only). */
    public synchronized Path file() {
        return file;
    }

    /**
     * Repacks every matrix of {@code matrices} that this JVM repacks and that is not repacked yet (others are left as
     * they are): from the cache file when it matches, else in memory over the pool's lanes (and the file written in the
     * background). Nothing when repacking is off ({@link CpuKernels#repackEnabled}). How many matrices it repacked.
     */
    public synchronized int repack(List<WeightMatrix> matrices, WorkerPool pool) {
        if (!CpuKernels.repackEnabled()) return 0;
        List<WeightMatrix> todo = new ArrayList<>();
        for (WeightMatrix m : new LinkedHashSet<>(matrices)) {
            if (m instanceof Repackable r && r.packable() && r.packedRecords() == null) todo.add(m);
        }
        if (todo.isEmpty()) return 0;
        if (dir != null && writer == null && mapping == null) {
            Layout layout = Layout.of(todo);
            byte[] key = key(todo);
            Path f = dir.resolve(fileName(key));
            byte[] header = layout.header(key);
            String problem = map(f, layout, header, todo);
            if (problem == null) {
                file = f;
                LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT,
                        "repacked weights mapped from %s (%d matrices, %d MiB)", f, todo.size(), layout.total() >> 20));
                return todo.size();
            }
            if (!problem.equals(MISSING)) {
                LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT,
                        "ignoring repacked-weights cache %s: %s; repacking", f, problem));
            }
            packInMemory(todo, pool);
            file = f;
            List<MemorySegment> records = new ArrayList<>();
            for (WeightMatrix m : todo) records.add(((Repackable) m).packedRecords());
            writer = Thread.ofPlatform().daemon().name("ember-repack-cache").start(() -> write(f, header, layout, records));
            return todo.size();
        }
        packInMemory(todo, pool);
        return todo.size();
    }

    private void packInMemory(List<WeightMatrix> todo, WorkerPool pool) {
        for (WeightMatrix m : todo) {
            Repackable r = (Repackable) m;
            r.pack(pool);
            handled.add(r);
        }
    }

    /** Waits until the background write (if any) has finished, written or given up. */
    public void awaitWrite() {
        Thread w;
        synchronized (this) {
            w = writer;
        }
        if (w == null) return;
        boolean interrupted = false;
        while (w.isAlive()) {
            try {
                w.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Waits for the write, then drops every copy made through this cache and unmaps the file. */
    @Override
    public void close() {
        awaitWrite();
        synchronized (this) {
            for (Repackable r : handled) r.unpack();
            handled.clear();
            if (mapping != null) mapping.close();
            mapping = null;
            writer = null;
        }
    }

    /**
     * Null when every matrix now reads its slice of {@code f}, whose header must be {@code want}; else why not
     * ({@link #MISSING} when there is no file).
     */
    private String map(Path f, Layout layout, byte[] want, List<WeightMatrix> todo) {
        if (!Files.isRegularFile(f)) return MISSING;
        Arena arena = Arena.ofShared();
        List<Repackable> adopted = new ArrayList<>();
        boolean done = false;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < want.length) return "it is " + size + " bytes, shorter than its header (truncated?)";
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (MemorySegment.mismatch(seg, 0, MAGIC.length, MemorySegment.ofArray(MAGIC), 0, MAGIC.length) != -1) {
                return "not an Ember repacked-weights file";
            }
            int version = seg.get(I32, 8);
            if (version != VERSION) return "format version " + version + ", this Ember reads " + VERSION;
            if (MemorySegment.mismatch(seg, 0, want.length, MemorySegment.ofArray(want), 0, want.length) != -1) {
                return "its header does not list this model's repacked tensors";
            }
            if (size != layout.total()) return "it is " + size + " bytes, the copies take " + layout.total() + " (truncated?)";
            for (int i = 0; i < todo.size(); i++) {
                Entry e = layout.entries.get(i);
                Repackable r = (Repackable) todo.get(i);
                r.adopt(seg.asSlice(e.offset, e.bytes));
                adopted.add(r);
            }
            handled.addAll(adopted);
            done = true;
            mapping = arena;
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot read it: " + e;
        } finally {
            if (!done) {
                for (Repackable r : adopted) r.unpack();
                arena.close();
            }
        }
    }

    /** Writes the file in the background: a temporary name, fsync, then moved into place. */
    private void write(Path f, byte[] header, Layout layout, List<MemorySegment> records) {
        long t0 = System.nanoTime();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            deleteAbandoned(f);
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < layout.total() + (64L << 20)) {
                LOG.log(System.Logger.Level.WARNING, () -> String.format(Locale.ROOT,
                        "not writing repacked-weights cache %s: it needs %d MiB and %d MiB are free; starts on this model will repack again",
                        f, layout.total() >> 20, free >> 20));
                return;
            }
            // pid and a per-process number: two loads of one model in this process never share a temporary file
            tmp = dir.resolve(f.getFileName() + "." + ProcessHandle.current().pid() + "-" + WRITES.incrementAndGet() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.wrap(header), 0);
                for (int i = 0; i < records.size(); i++) {
                    MemorySegment r = records.get(i);
                    long at = layout.entries.get(i).offset;
                    for (long o = 0; o < r.byteSize(); o += WRITE_CHUNK) {
                        writeFully(ch, r.asSlice(o, Math.min(WRITE_CHUNK, r.byteSize() - o)).asByteBuffer(), at + o);
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT,
                    "repacked weights written to %s (%d MiB, %d ms); later starts map them instead of repacking",
                    f, layout.total() >> 20, ms));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, () -> String.format(Locale.ROOT,
                    "could not write repacked-weights cache %s: %s; starts on this model will repack again", f, e));
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort; a later write removes it
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) at += ch.write(b, at);
    }

    /** Removes temporary files of {@code f} left by processes that died while writing. */
    private static void deleteAbandoned(Path f) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(f.getParent(), f.getFileName() + ".*.tmp")) {
            for (Path t : s) {
                String n = t.getFileName().toString();
                String pid = n.substring(f.getFileName().toString().length() + 1, n.length() - ".tmp".length()).replaceAll("-.*", "");
                try {
                    if (ProcessHandle.of(Long.parseLong(pid)).isEmpty()) Files.deleteIfExists(t);
                } catch (NumberFormatException | IOException ignored) {
                    // not ours, or already gone
                }
            }
        }
    }

    /** SHA-256 over what the copies depend on (see the class comment). */
    private byte[] key(List<WeightMatrix> todo) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(VERSION).putInt(Q4_0x8.TILE).putInt(Q4_0x8.RECORD).putInt(Q4_Kx8.TILE).putInt(Q4_Kx8.RECORD)
                    .putInt(Q6_Kx8.TILE).putInt(Q6_Kx8.RECORD)
                    .putLong(source.fileSize()).putLong(source.dataOffset());
            sha.update(b.flip());
            sha.update(source.header().asByteBuffer());
            for (WeightMatrix m : todo) {
                sha.update(entryBytes(m, 0, 0));
                MemorySegment d = m.data();
                long n = Math.min(SAMPLE, d.byteSize());
                sha.update(d.asSlice(0, n).asByteBuffer());
                sha.update(d.asSlice(d.byteSize() - n, n).asByteBuffer());
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private String fileName(byte[] key) {
        String n = source.path().getFileName().toString();
        if (n.endsWith(".gguf")) n = n.substring(0, n.length() - 5);
        n = n.replaceAll("[^A-Za-z0-9._-]", "_");
        if (n.length() > 96) n = n.substring(0, 96);
        return n + "." + HexFormat.of().formatHex(key, 0, 12) + ".repacked";
    }

    /** An entry of the header: u16 name length, name, i32 type id, i32 rows, i32 cols, i64 offset, i64 bytes. */
    private static ByteBuffer entryBytes(WeightMatrix m, long offset, long bytes) {
        byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + name.length + 12 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) name.length).put(name).putInt(m.type().id).putInt(m.rows()).putInt(m.cols()).putLong(offset).putLong(bytes);
        return b.flip();
    }

    private record Entry(WeightMatrix matrix, long offset, long bytes) {}

    /** Where each matrix's records lie in the file, and the file's size. */
    private record Layout(List<Entry> entries, int headerBytes, long total) {
        static Layout of(List<WeightMatrix> todo) {
            int header = FIXED_HEADER;
            for (WeightMatrix m : todo) header += entryBytes(m, 0, 0).remaining();
            long at = align(header);
            List<Entry> entries = new ArrayList<>();
            for (WeightMatrix m : todo) {
                long bytes = ((Repackable) m).packedBytes();
                entries.add(new Entry(m, at, bytes));
                at = align(at + bytes);
            }
            Entry last = entries.getLast();
            return new Layout(entries, header, last.offset + last.bytes);
        }

        byte[] header(byte[] key) {
            ByteBuffer b = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(VERSION).putInt(entries.size()).put(key);
            for (Entry e : entries) b.put(entryBytes(e.matrix, e.offset, e.bytes));
            return b.array();
        }

        private static long align(long n) {
            return (n + PAGE - 1) & -PAGE;
        }
    }
}
