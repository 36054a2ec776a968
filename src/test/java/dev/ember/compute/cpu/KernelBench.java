package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Kernel benchmark (a main, not a test): Matmul.apply of a [rows, cols] weight matrix of synthetic random blocks with N
 * activation rows, for each type, thread count and N; prints medians of weight GB/s and GFLOP/s-equivalent (2·rows·cols·N).
 *
 * <p>Several copies of the matrix (≥ 96 MB in all) live in a shared arena, like a mapped GGUF file, and are used in turn, so
 * the weights stream from DRAM rather than from the 32 MB L3.
 *
 * <pre>
 * ./mvnw -o -q test-compile && java --add-modules=jdk.incubator.vector -cp target/classes:target/test-classes \
 *     dev.ember.compute.cpu.KernelBench [types=Q4_0,Q8_0,Q4_K,Q6_K,F16] [threads=1,2] [n=1,16,128] [rows=8192] [cols=2048] [runs=7] [path=exact|gemm] [repack=false|true] [four=true|false]
 * </pre>
 */
public final class KernelBench {
    public static void main(String[] args) {
        String types = "Q4_0,Q8_0,Q4_K,Q6_K,F16";
        String threads = "1,2";
        String ns = "1,16,128";
        int rows = 8192, cols = 2048, runs = 7;
        long poolBytes = 96L << 20;
        boolean gemm = false, repack = false, four = true;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "types" -> types = kv[1];
                case "threads" -> threads = kv[1];
                case "n" -> ns = kv[1];
                case "rows" -> rows = Integer.parseInt(kv[1]);
                case "cols" -> cols = Integer.parseInt(kv[1]);
                case "runs" -> runs = Integer.parseInt(kv[1]);
                case "repack" -> repack = Boolean.parseBoolean(kv[1]);
                case "four" -> four = Boolean.parseBoolean(kv[1]);
                case "mb" -> poolBytes = Long.parseLong(kv[1]) << 20;
                case "path" -> gemm = switch (kv[1]) {
                    case "exact" -> false;
                    case "gemm" -> true;
                    default -> throw new IllegalArgumentException("path is exact (Matmul.apply) or gemm (Matmul.applyGemm)");
                };
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        System.out.printf("KernelBench rows=%d cols=%d runs=%d path=%s repack=%s (median; weights cycled over >= %d MB)%n",
                rows, cols, runs, gemm ? "gemm" : "exact", repack, poolBytes >> 20);
        System.out.printf("%-5s %3s %4s %10s %9s %9s%n", "type", "thr", "N", "ms/call", "GB/s(w)", "GFLOP/s");
        // four=false: every token through the one-token kernels (as in a process's first split-path matmuls)
        Matmul.coldSplitCallsLeft(four ? 0 : Integer.MAX_VALUE);
        Arena arena = Arena.ofShared();
        for (String tn : types.split(",")) {
            GgmlType type = GgmlType.valueOf(tn);
            long bytes = type.bytesFor(cols) * rows;
            int copies = (int) Math.max(1, (poolBytes + bytes - 1) / bytes);
            MemorySegment first = arena.allocate(bytes, 64);
            fillRandom(type, first, 12345 + type.ordinal());
            List<WeightMatrix> ms = new ArrayList<>();
            for (int c = 0; c < copies; c++) {
                MemorySegment seg = c == 0 ? first : arena.allocate(bytes, 64);
                if (c > 0) MemorySegment.copy(first, 0, seg, 0, bytes);
                WeightMatrix m = WeightMatrix.of(new GgufTensor("bench." + tn + "." + c, type, new long[] {cols, rows}, 0, seg));
                if (repack) {
                    try (WorkerPool pool = new WorkerPool(1)) {
                        CpuKernels.repack(m, pool);
                    }
                }
                ms.add(m);
            }
            for (String ts : threads.split(",")) {
                int th = Integer.parseInt(ts);
                try (WorkerPool pool = new WorkerPool(th)) {
                    Matmul mm = new Matmul(pool);
                    for (String nsv : ns.split(",")) {
                        int n = Integer.parseInt(nsv);
                        float[] x = Blocks.activations(cols * n, new java.util.Random(n));
                        float[] out = new float[rows * n];
                        // calls per timed run: enough to last ~0.2 s at 10 GB/s for small N
                        int calls = Math.max(1, (int) Math.min(copies * 4L, 2_000_000_000L / bytes / Math.max(1, n / 4)));
                        if (n >= 16) calls = n >= 64 ? 1 : 2;
                        // warm-up
                        long warmEnd = System.nanoTime() + 1_000_000_000L;
                        int k = 0;
                        do {
                            apply(mm, gemm, ms.get(k++ % copies), x, n, out);
                        } while (System.nanoTime() < warmEnd || k < 3);
                        double[] t = new double[runs], cpu = new double[runs];
                        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
                        for (int r = 0; r < runs; r++) {
                            long c0 = mx.getCurrentThreadCpuTime();
                            long t0 = System.nanoTime();
                            for (int c = 0; c < calls; c++) apply(mm, gemm, ms.get(k++ % copies), x, n, out);
                            t[r] = (System.nanoTime() - t0) / 1e9 / calls;
                            cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / calls;
                        }
                        Arrays.sort(t);
                        Arrays.sort(cpu);
                        double sc = cpu[runs / 2];
                        double s = t[runs / 2];
                        System.out.printf("%-5s %3d %4d %10.3f %9.2f %9.2f   (min %.3f max %.3f ms; 1-thread by CPU time: %.2f GB/s %.2f GFLOP/s)%n",
                                tn, th, n, s * 1e3, bytes / s / 1e9, 2.0 * rows * cols * n / s / 1e9, t[0] * 1e3,
                                t[runs - 1] * 1e3, bytes / sc / 1e9, 2.0 * rows * cols * n / sc / 1e9);
                    }
                }
            }
            ms.clear();
        }
        arena.close();
    }

    /** Random valid blocks: random quant bytes, small positive fp16 scales, Q8_0 quants in [-127, 127]; F16/F32 gaussian-ish. */
    static void fillRandom(GgmlType t, MemorySegment seg, long seed) {
        long s = seed * 0x9E3779B97F4A7C15L + 1;
        long n = seg.byteSize();
        for (long i = 0; i + 8 <= n; i += 8) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, i, s);
        }
        switch (t) {
            case F16 -> {
                for (long i = 0; i < n; i += 2) {
                    int r = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF;
                    seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((r - 32768) / 16384f));
                }
            }
            case F32 -> {
                for (long i = 0; i < n; i += 4) {
                    int r = seg.get(ValueLayout.JAVA_INT_UNALIGNED, i);
                    seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i, r / (float) Integer.MAX_VALUE);
                }
            }
            default -> {
                int[] halves = Blocks.halfFields(t);
                long ts = t.typeSize;
                for (long o = 0; o < n; o += ts) {
                    for (int f : halves) {
                        int r = seg.get(ValueLayout.JAVA_BYTE, o + f) & 0xFF;
                        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + f, Float.floatToFloat16(0.001f + r * 0.0002f));
                    }
                    if (t == GgmlType.Q8_0) {
                        for (int j = 2; j < 34; j++) if (seg.get(ValueLayout.JAVA_BYTE, o + j) == -128) seg.set(ValueLayout.JAVA_BYTE, o + j, (byte) -127);
                    }
                }
            }
        }
    }

    private static void apply(Matmul mm, boolean gemm, WeightMatrix w, float[] x, int n, float[] out) {
        if (gemm) mm.applyGemm(w, x, 0, n, out, 0);
        else mm.apply(w, x, 0, n, out, 0);
    }
}
