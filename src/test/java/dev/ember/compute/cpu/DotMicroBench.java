package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Cache-resident kernel timing (a main): dot() and dotRows() over a small [rows, cols] matrix that fits in L2, by the
 * calling thread's CPU time, with the bytes allocated per call (non-zero means C2 boxed vectors).
 * Args: types=Q4_0,... rows=256 cols=2048 n=4
 */
public final class DotMicroBench {
    public static void main(String[] args) {
        String types = "Q4_0,Q8_0,Q4_K,Q6_K,F16";
        int rows = 256, cols = 2048, n = 4;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "types" -> types = kv[1];
                case "rows" -> rows = Integer.parseInt(kv[1]);
                case "cols" -> cols = Integer.parseInt(kv[1]);
                case "n" -> n = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException(a);
            }
        }
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Arena arena = Arena.ofShared();
        for (String tn : types.split(",")) {
            GgmlType type = GgmlType.valueOf(tn);
            long bytes = type.bytesFor(cols) * rows;
            MemorySegment seg = arena.allocate(bytes, 64);
            KernelBench.fillRandom(type, seg, 7);
            WeightMatrix m = WeightMatrix.of(new GgufTensor("micro", type, new long[] {cols, rows}, 0, seg));
            long rb = Activations.rowBytes(m.activationType(), cols);
            MemorySegment xq = System.getProperty("heapx") != null ? MemorySegment.ofArray(new byte[(int) (rb * n)]) : arena.allocate(rb * n, 64);
            for (int b = 0; b < n; b++) {
                Activations.quantize(m.activationType(), Blocks.activations(cols, new java.util.Random(b)), 0, cols, xq, b * rb);
            }
            float[] out = new float[rows * n];
            double[] t1 = new double[9], tn2 = new double[9];
            long alloc1 = 0, allocN = 0;
            for (int rep = 0; rep < 9 + 6; rep++) {
                long a0 = mx.getCurrentThreadAllocatedBytes(), c0 = mx.getCurrentThreadCpuTime();
                int iters = 20;
                float sink = 0;
                for (int it = 0; it < iters; it++) for (int r = 0; r < rows; r++) sink += m.dot(r, xq, 0);
                long c1 = mx.getCurrentThreadCpuTime(), a1 = mx.getCurrentThreadAllocatedBytes();
                for (int it = 0; it < iters; it++) for (int r = 0; r < rows; r++) m.dotRows(r, xq, 0, rb, n, out, r, rows);
                long c2 = mx.getCurrentThreadCpuTime(), a2 = mx.getCurrentThreadAllocatedBytes();
                if (sink == 12345.678f) System.out.print("");
                if (rep >= 6) {
                    t1[rep - 6] = (c1 - c0) / (double) iters;
                    tn2[rep - 6] = (c2 - c1) / (double) iters;
                    alloc1 = (a1 - a0) / iters;
                    allocN = (a2 - a1) / iters;
                }
            }
            Arrays.sort(t1);
            Arrays.sort(tn2);
            double s1 = t1[4] / 1e9, sn = tn2[4] / 1e9;
            System.out.printf("%-5s matvec %8.1f us %6.2f GB/s alloc %d B | dotRows n=%d %8.1f us %6.2f GFLOP/s (%.2f x of n dots) alloc %d B%n",
                    tn, s1 * 1e6, bytes / s1 / 1e9, alloc1, n, sn * 1e6, 2.0 * rows * cols * n / sn / 1e9, s1 * n / sn, allocN);
        }
    }
}
