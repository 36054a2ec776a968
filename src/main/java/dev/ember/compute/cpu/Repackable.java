package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix the CPU decode kernels read repacked, eight rows interleaved ({@link Q4_0x8}, {@link Q4_Kx8}, {@link Q6_Kx8}): the copy
 * is made in memory ({@link #pack}) or taken from a {@link RepackCache} file made by an earlier start ({@link #adopt}).
 */
public sealed interface Repackable permits Q4_0Matrix, Q4_KMatrix, Q6_KMatrix {

    /** Whether this JVM repacks this matrix: rows in whole groups of eight and 256-bit vectors. */
    boolean packable();

    /** Bytes of the repacked copy. */
    long packedBytes();

    /** Makes the copy in off-heap memory over the pool's lanes, unless there is one; false when not {@link #packable}. */
    boolean pack(WorkerPool pool);

    /**
     * Takes {@code records} ({@link #packedBytes} bytes laid out as {@link #pack} lays them out, e.g. a slice of a mapped
     * cache file) as the copy, unless there is one. The caller keeps the memory alive until {@link #unpack}.
     */
    void adopt(MemorySegment records);

    /** The copy's records, or null while the matrix is read in place. */
    MemorySegment packedRecords();

    /** Drops the copy (freeing it if it was made by {@link #pack}); the matrix reads its original data again. */
    void unpack();
}
