package dev.ember.compute.cpu;

import dev.ember.gguf.MappedPages;
import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * A weight matrix's repacked copy ({@link Q4_0x8}, {@link Q4_Kx8}): made (or taken from a {@link RepackCache} file) at
 * most once, after which the original's mapped pages are handed back to the kernel (the weights are then resident once);
 * freed on {@link #free}.
 */
final class PackedCopy<T extends RowGroups8> {
    private volatile T copy;

    /** The copy, or null. */
    T get() {
        return copy;
    }

    /** The copy's records, or null. */
    MemorySegment records() {
        T c = copy;
        return c == null ? null : c.data;
    }

    /** Makes the copy from {@code original} unless there is one, then releases the original's pages. */
    synchronized void make(MemorySegment original, Supplier<T> pack) {
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
