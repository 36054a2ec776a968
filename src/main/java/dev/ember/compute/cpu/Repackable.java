package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix the CPU decode kernels read repacked, eight rows interleaved ({@link Q4_0x8}, {@link Q4_Kx8},
 * {@link Q6_Kx8}): the copy is made in memory ({@link #pack}) or taken from a {@link RepackCache} file made by an earlier
 * start ({@link #adopt}); afterwards the matrix's {@code dequantizeRow} and the matmuls read the copy.
 */
sealed interface Repackable permits Q4_0Matrix, Q4_KMatrix, Q6_KMatrix {

    /** The matrix's copy and its format. */
    PackedCopy<?> packedCopy();

    private WeightMatrix matrix() {
        return (WeightMatrix) this;
    }

    /** Whether this JVM repacks this matrix: rows in whole groups of eight and 256-bit vectors. */
    default boolean packable() {
        return Lanes.ENABLED && RowGroups8.fits(matrix().rows());
    }

    /** Bytes of the repacked copy. */
    default long packedBytes() {
        return packedCopy().bytes(matrix());
    }

    /**
     * Makes the copy in off-heap memory over the pool's lanes, unless there is one, and hands the original's mapped
     * pages back; false when not {@link #packable}.
     */
    default boolean pack(WorkerPool pool) {
        if (!packable()) return false;
        packedCopy().pack(matrix(), pool);
        return true;
    }

    /**
     * Takes {@code records} ({@link #packedBytes} bytes laid out as {@link #pack} lays them out, e.g. a slice of a mapped
     * cache file) as the copy, unless there is one. The caller keeps the memory alive until {@link #unpack}.
     */
    default void adopt(MemorySegment records) {
        if (!packable()) throw new IllegalStateException(matrix().name() + " cannot be repacked here");
        packedCopy().adopt(matrix(), records);
    }

    /** The copy's records, or null while the matrix is read in place. */
    default MemorySegment packedRecords() {
        return packedCopy().records();
    }

    /** Drops the copy (freeing it if it was made by {@link #pack}); the matrix reads its original data again. */
    default void unpack() {
        packedCopy().free();
    }
}
