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
    /** A [rows, blocks] copy over {@code records} (already repacked, e.g. a cache file's slice), or over fresh memory when null. */
    interface Maker<T> {
        T make(int rows, int blocks, MemorySegment records);
    }

    private final int tile;
    private final int record;
    private final Maker<T> maker;
    private volatile T copy;

    /** The copy of a format with {@code tile} blocks per tile and {@code record}-byte records, made by {@code maker}. */
    PackedCopy(int tile, int record, Maker<T> maker) {
        this.tile = tile;
        this.record = record;
        this.maker = maker;
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
        return new GroupTiles(m.rows() / 8, m.blocks, tile, record).bytes();
    }

    /** Repacks {@code m} in memory unless there is a copy, then releases the original's pages. */
    void pack(WeightMatrix m, WorkerPool pool) {
        make(m.data(), () -> {
            T p = maker.make(m.rows(), m.blocks, null);
            p.fill(m.data(), m.rowBytes(), pool);
            return p;
        });
    }

    /** Takes {@code records} as the copy of {@code m} unless there is one, then releases the original's pages. */
    void adopt(WeightMatrix m, MemorySegment records) {
        make(m.data(), () -> maker.make(m.rows(), m.blocks, records));
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
