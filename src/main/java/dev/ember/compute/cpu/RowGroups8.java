package dev.ember.compute.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix copied into records of eight interleaved rows ({@link Q4_0x8}, {@link Q4_Kx8}, {@link Q6_Kx8}): the copy (off-heap
 * memory of its own, or a slice of a mapped {@link RepackCache} file), where its records lie ({@link GroupTiles}), and the
 * packing loop, spread over the worker pool.
 *
 * <p>Shapes: [rows, blocks] source blocks, rows a multiple of 8; {@code data} holds groups = rows / 8 × blocks records.
 */
abstract sealed class RowGroups8 implements AutoCloseable permits Q4_0x8, Q4_Kx8, Q6_Kx8 {
    /** Owns {@code data} when the copy was made here; null for a view of a cache file (its owner unmaps it). */
    private final Arena arena;
    /** [tiles][groups][tile blocks] records. */
    final MemorySegment data;
    final int rows;
    final int blocks;
    final int groups;
    final GroupTiles layout;

    /**
     * Records for [rows, blocks] source blocks: in {@code records} (already filled, {@link GroupTiles#bytes} long) or, when
     * that is null, in fresh off-heap memory for {@link #fill}.
     */
    RowGroups8(int rows, int blocks, int tile, int recordBytes, MemorySegment records) {
        if (!fits(rows)) throw new IllegalArgumentException(getClass().getSimpleName() + " needs a multiple of 8 rows, got " + rows);
        this.rows = rows;
        this.blocks = blocks;
        this.groups = rows / 8;
        this.layout = new GroupTiles(groups, blocks, tile, recordBytes);
        if (records != null) {
            if (records.byteSize() != layout.bytes()) {
                throw new IllegalArgumentException(getClass().getSimpleName() + " of " + rows + " x " + blocks + " blocks needs "
                        + layout.bytes() + " bytes, got " + records.byteSize());
            }
            this.arena = null;
            this.data = records;
            return;
        }
        this.arena = Arena.ofShared();
        try {
            this.data = arena.allocate(layout.bytes(), 64);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Whether a matrix of {@code rows} rows can be repacked: whole groups of eight. */
    static boolean fits(int rows) {
        return rows > 0 && rows % 8 == 0;
    }

    /**
     * Copies the source rows ({@code rowBytes} apart from {@code src} offset 0) into the records, groups spread over the
     * pool's lanes; frees the copy if that fails.
     */
    final void fill(MemorySegment src, long rowBytes, WorkerPool pool) {
        try {
            pool.forRange(groups, (from, to) -> {
                for (int g = from; g < to; g++) packGroup(src, rowBytes, g);
            });
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Writes the records of group g (rows 8g..8g+7) from the source rows. */
    abstract void packGroup(MemorySegment src, long rowBytes, int g);

    /** Byte offset of the record of group g, block b. */
    final long offset(int g, int b) {
        return layout.offset(g, b);
    }

    /** Blocks in tile t. */
    final int tileBlocks(int t) {
        return layout.tileBlocks(t);
    }

    final int tiles() {
        return layout.tiles();
    }

    /** Frees the copy if it was made here (a view of a cache file is unmapped with the file). */
    @Override
    public final void close() {
        if (arena != null) arena.close();
    }
}
