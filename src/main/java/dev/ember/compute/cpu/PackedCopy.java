package dev.ember.compute.cpu;

import dev.ember.gguf.MappedPages;
import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * A weight matrix's repacked copy ({@link Q4_0x8}, {@link Q4_Kx8}, {@link Q6_Kx8}) and how that format is made: made in
 * memory or taken from a {@link RepackCache} file at most once, after which the original's mapped pages are handed back
 * to the kernel (the weights are then resident once); freed on {@link #free}.
 *
 * @param <T> the repacked format
 */
final class PackedCopy<T extends RowGroups8> {
    /** Repacks [rows, blocks] source blocks ({@code rowBytes} apart) into fresh memory over the pool's lanes. */
    interface Packer<T> {
        T pack(MemorySegment src, long rowBytes, int rows, int blocks, WorkerPool pool);
    }

    /** Views records already repacked (a cache file's slice) as [rows, blocks]. */
    interface Viewer<T> {
        T view(MemorySegment records, int rows, int blocks);
    }

    /** Bytes of the records of [rows, blocks] source blocks. */
    interface Size {
        long bytes(int rows, int blocks);
    }

    private final Packer<T> packer;
    private final Viewer<T> viewer;
    private final Size size;
    private volatile T copy;

    PackedCopy(Packer<T> packer, Viewer<T> viewer, Size size) {
        this.packer = packer;
        this.viewer = viewer;
        this.size = size;
    }

    /** The copy, or null. */
    T get() {
        return copy;
    }

    /** The copy's records, or null. */
    MemorySegment records() {
        T c = copy;
        return c == null ? null : c.data;
    }

    /** Bytes the copy of {@code m} takes. */
    long bytes(WeightMatrix m) {
        return size.bytes(m.rows(), m.blocks);
    }

    /** Repacks {@code m} in memory unless there is a copy, then releases the original's pages. */
    void pack(WeightMatrix m, WorkerPool pool) {
        make(m.data(), () -> packer.pack(m.data(), m.rowBytes(), m.rows(), m.blocks, pool));
    }

    /** Takes {@code records} as the copy of {@code m} unless there is one, then releases the original's pages. */
    void adopt(WeightMatrix m, MemorySegment records) {
        make(m.data(), () -> viewer.view(records, m.rows(), m.blocks));
    }

    private synchronized void make(MemorySegment original, Supplier<T> pack) {
        if (copy != null) return;
        copy = pack.get();
        MappedPages.release(original);
    }

    /** Frees the copy (the matrix reads its original data again). */
    synchronized void free() {
        T c = copy;
        copy = null;
        if (c != null) c.close();
    }
}
