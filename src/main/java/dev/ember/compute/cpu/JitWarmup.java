package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;

/**
 * Gets the Vector API kernels compiled before the first request needs them. Until C2 has compiled a
 * kernel, HotSpot runs its vector code in the interpreter or C1, where every vector operation allocates
 * (a 1B model's first 5-token prefill takes seconds; with C1 alone, minutes). The JDK 25 AOT cache keeps
 * classes and profiles, not compiled code, so each process pays this once. Warming up runs the matmul of
 * every weight type the model uses, plus the row ops, on tiny zero matrices (16 × 256: the same code
 * paths as the model's tensors, none of the model's memory), for a fixed number of calls: work that does
 * not grow with the model. Run it where it overlaps other start-up work (the server's background load).
 */
public final class JitWarmup {
    /** Calls per kernel shape: enough invocations and loop back-edges for C2 to take over. */
    static final int CALLS = 3000;
    private static final int ROWS = 16;
    private static final int COLS = 256;

    /** Types warmed in this process (compiled code is per process, so once is enough). */
    private static final Set<GgmlType> WARMED = EnumSet.noneOf(GgmlType.class);
    private static boolean opsWarmed;

    private JitWarmup() {}

    /**
     * Warms the kernels of these weight types on {@code pool}, once per process (types already warmed are
     * skipped); returns the milliseconds spent. {@code -Dember.jit-warmup=false} turns it off.
     */
    public static synchronized long run(Collection<GgmlType> types, WorkerPool pool) {
        if (!Boolean.parseBoolean(System.getProperty("ember.jit-warmup", "true"))) return 0;
        long t0 = System.nanoTime();
        Set<GgmlType> distinct = types.isEmpty() ? EnumSet.noneOf(GgmlType.class) : EnumSet.copyOf(types);
        distinct.removeAll(WARMED);
        WARMED.addAll(distinct);
        Matmul matmul = new Matmul(pool);
        float[] x = new float[8 * COLS];     // [8, COLS] activations
        float[] out = new float[8 * ROWS];   // [8, ROWS]
        for (int i = 0; i < x.length; i++) x[i] = ((i * 7919) % 200 - 100) / 100f;
        float[] w = new float[COLS];         // [COLS] norm weight
        java.util.Arrays.fill(w, 1f);
        try (Arena arena = Arena.ofShared()) { // the pool's workers read the matrices
            for (GgmlType type : distinct) {
                long bytes = (long) ROWS * (COLS / type.blockSize) * type.typeSize;
                MemorySegment data = arena.allocate(bytes, 64); // zero blocks: valid for every type
                WeightMatrix m = WeightMatrix.of(new GgufTensor("warmup." + type, type, new long[] {COLS, ROWS}, 0, data));
                for (int c = 0; c < CALLS; c++) {
                    matmul.apply(m, x, 0, 1, out, 0);            // decode: one activation row
                    if (c % 4 == 0) matmul.apply(m, x, 0, 8, out, 0); // prefill / batched decode
                }
            }
        }
        for (int c = 0; c < (opsWarmed ? 0 : CALLS); c++) {
            Ops.rmsNorm(x, 0, w, out, 0, Math.min(COLS, out.length), 1e-5f);
            Ops.siluMul(x, 0, x, COLS, COLS);
            Ops.softmax(x, 0, 64, 0.125f);
        }
        opsWarmed = true;
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
