package dev.ember.compute.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix copied into records of eight interleaved rows ({@link Q4_0x8}, {@link Q4_Kx8}): the off-heap copy,
 * where its records lie ({@link GroupTiles}), and the packing loop, spread over the worker pool.
 *
 * <p>Shapes: [rows, blocks] source blocks, rows a multiple of 8; {@code data} holds groups = rows / 8 × blocks records.
 */
abstract sealed class RowGroups8 implements AutoCloseable permits Q4_0x8, Q4_Kx8 {
    private final Arena arena = Arena.ofShared();
    /** [tiles][groups][tile blocks] records. */
    final MemorySegment data;
    final int rows;
    final int blocks;
    final int groups;
    final GroupTiles layout;

    RowGroups8(int rows, int blocks, int tile, int recordBytes) {
        if (!fits(rows)) throw new IllegalArgumentException(getClass().getSimpleName() + " needs a multiple of 8 rows, got " + rows);
        this.rows = rows;
        this.blocks = blocks;
        this.groups = rows / 8;
        this.layout = new GroupTiles(groups, blocks, tile, recordBytes);
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

    @Override
    public final void close() {
        arena.close();
    }
}
