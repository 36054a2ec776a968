package dev.ember.gguf;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Hands the pages of part of a read-only file mapping back to the kernel ({@code madvise(MADV_DONTNEED)}): once a tensor
 * has been copied into another layout, its mapped pages would otherwise stay resident and count twice in the process's
 * memory. The data is not lost: a later read of the range faults the pages in again from the file (page cache).
 *
 * <p>Only whole pages inside the range are released (a page shared with a neighbouring tensor stays). Where madvise is not
 * available (not Linux or macOS, or native access not enabled), {@link #release} does nothing and says so.
 */
public final class MappedPages {
    private MappedPages() {}

    private static final int MADV_DONTNEED = 4;   // Linux and macOS
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private static MethodHandle lookup() {
        try {
            String os = System.getProperty("os.name", "").toLowerCase();
            if (!os.contains("linux") && !os.contains("mac")) return null;
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> f = linker.defaultLookup().find("madvise");
            return f.map(a -> linker.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;   // e.g. native access not enabled for this module
        }
    }

    /** Releases the whole pages inside {@code range}, a slice of a read-only file mapping; true when madvise succeeded. */
    public static boolean release(MemorySegment range) {
        if (MADVISE == null || !range.isNative()) return false;
        long start = range.address(), end = start + range.byteSize();
        long first = (start + PAGE - 1) & -PAGE, last = end & -PAGE;
        if (last <= first) return true;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(first), last - first, MADV_DONTNEED) == 0;
        } catch (Throwable e) {
            return false;
        }
    }
}
