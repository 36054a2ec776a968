package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Software prefetch for the repacked decode kernels, which Java does not offer as an instruction: a kernel reads one
 * byte of each cache line {@link #DISTANCE} bytes ahead of the record it is working on, so that the line is on its way
 * from memory while the kernel's vector arithmetic runs. The bytes read are folded into an int that the kernel hands to
 * {@link #keep} at its end, which keeps C2 from dropping the loads as dead code; they change no result.
 *
 * <p>Why: the kernels do tens of vector instructions per 64-byte line, and with one token (decode) the hardware
 * prefetchers left them waiting on memory: the repacked Q6_K kernel streamed 4.9 GB/s from DRAM on one core against
 * 9 GB/s with the same matrix in cache; touching the lines ahead doubled its single-token speed (perf/RESULTS.md,
 * eleventh session).
 */
final class Prefetch {
    private Prefetch() {}

    /** How far ahead of the current record the kernels touch: 4 KB, a few records of every repacked format. */
    static final long DISTANCE = 4096;

    private static final int NEVER = 0x5a5a5a5a;
    private static final int[] SINK = new int[1];

    /**
     * Reads one byte of each of the {@code lines} cache lines from {@code at}; their xor. Past the end of {@code s}
     * (a matrix's last records) it reads the segment's last byte instead, through a min rather than a branch: a branch
     * that a kernel's profile had only seen taken one way became an uncommon trap at the end of the first matrix C2 had
     * not yet seen end (the tied Q6_K output matrix's, in a cold server's first request), which threw the kernel's C2
     * code away and compiled it again (perf/RESULTS.md, thirteenth session).
     */
    static int lines(MemorySegment s, long at, int lines) {
        long last = s.byteSize() - 1;
        int x = 0;
        for (int i = 0; i < lines; i++) x ^= s.get(ValueLayout.JAVA_BYTE, Math.min(at + 64L * i, last));
        return x;
    }

    /** Consumes a kernel's {@link #lines} results (a store that practically never happens, but C2 cannot know). */
    static void keep(int touched) {
        if (touched == NEVER) SINK[0] = touched;
    }
}
