package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Matrix × matrix product of a weight matrix with a batch of activation rows, as ggml's mul_mat:
 * the activations are converted once per call to the weight type's dot type (Q8_0, Q8_K, F16, ...),
 * then every output is an integer / typed dot of one weight row with one converted activation row.
 * Each weight row is read once per call and reused for all N activations while it is in cache.
 */
public final class Matmul {
    private final WorkerPool pool;
    /**
     * [n, rowBytes(actType, cols)] converted activations. Off-heap on purpose: C2 does not intrinsify the Vector API loads
     * from a byte[]-backed segment in the dot kernels (measured 2-12x slower, with boxed vectors for Q4_K/Q6_K).
     */
    private MemorySegment scratch = MemorySegment.NULL;
    /**
     * Activations expanded to lane-ordered floats: [n, blocks, 32] Q8_0 (LaneGemm), [n, blocks, 256] or [n, blocks, 336]
     * Q8_K (Q4_KLaneGemm, Q6_KLaneGemm); and [n, blocks] their scales.
     */
    private float[] lanes = new float[0];
    private float[] laneScales = new float[0];
    /** [n, blocks, 8] Q8_K bsum pair sums for the Q4_K mins term (Q4_KLaneGemm). */
    private float[] laneSums = new float[0];
    /** [n, cols] the converted activations decoded back to floats, for {@link FloatGemm}. */
    private float[] dequantized = new float[0];
    /** Activations of a repacked Q4_0 matrix's decode kernels. */
    private final Q8Pairs pairs = new Q8Pairs();
    /** Activations of a repacked Q4_K matrix's decode kernel. */
    private final Q8KPairs pairsK = new Q8KPairs(Q8KPairs.Order.Q4_K);
    /** Activations of a repacked Q6_K matrix's decode kernel. */
    private final Q8KPairs pairs6 = new Q8KPairs(Q8KPairs.Order.Q6_K);
    /** Rows of a mixed {@link #apply(WeightMatrix, float[], int, int, float[], int, boolean[])} call, regrouped by path. */
    private float[] gatherX = new float[0], gatherOut = new float[0];

    public Matmul(WorkerPool pool) {
        this.pool = pool;
    }

    public WorkerPool pool() {
        return pool;
    }

    /**
     * out[b, r] = Σ_c w[r, c] · x[b, c] for b < n, r < w.rows(), in ggml's arithmetic: every output the bits of one
     * {@link WeightMatrix#dot} of the row with the activation row converted to the weight's dot type, whatever n is.
     *
     * @param x   [n, w.cols()] row-major at xOff
     * @param out [n, w.rows()] row-major at outOff
     */
    public void apply(WeightMatrix w, float[] x, int xOff, int n, float[] out, int outOff) {
        int cols = w.cols();
        int rows = w.rows();
        long rowBytes = Activations.rowBytes(w.activationType(), cols);
        MemorySegment xq = quantize(w, x, xOff, n);
        if (w instanceof Q4_0Matrix q4 && q4.packed() != null) {
            Q4_0x8 p = q4.packed();
            Q8Pairs a = pairs;
            if (n >= Q4_0_BATCH_MIN_N) {
                applyBatch(p, a, xq, rowBytes, n, 1,
                        (k, g, b, part, slot) -> Q4_0x8BatchKernel.expand(p, g, b, k.wf, k.wd, slot),
                        (k, b, part, j, o) -> Q4_0x8BatchKernel.block(p, b, k.wf, k.wd, a, j, k.sums, out, o, rows),
                        (g, t, j, o) -> Q4_0x8Kernel.tile1(p, g, t, a, j, out, o), out, outOff);
                return;
            }
            applyRepacked(p, a, xq, rowBytes, n, (g, t, j, o) -> Q4_0x8Kernel.tile1(p, g, t, a, j, out, o), out, outOff);
            return;
        }
        if (w instanceof Q4_KMatrix q4k && q4k.packed() != null) {
            Q4_Kx8 p = q4k.packed();
            Q8KPairs a = pairsK;
            if (n >= Q4_K_BATCH_MIN_N) {
                applyBatch(p, a, xq, rowBytes, n, 2,
                        (k, g, b, h, slot) -> Q4_Kx8BatchKernel.expand(p, g, b, h, k.wf, k.wd, k.wm, slot),
                        (k, b, h, j, o) -> {
                            Q4_Kx8BatchKernel.half(p, b, h, k.wf, a, j, k.sums, k.isum, 32 * j);
                            if (h == 1) Q4_Kx8BatchKernel.finish(p, b, k.wd, k.wm, a, j, k.isum, 32 * j, out, o, rows);
                        },
                        (g, t, j, o) -> Q4_Kx8Kernel.tile1(p, g, t, a, j, out, o), out, outOff);
                return;
            }
            applyRepacked(p, a, xq, rowBytes, n, (g, t, j, o) -> Q4_Kx8Kernel.tile1(p, g, t, a, j, out, o), out, outOff);
            return;
        }
        if (w instanceof Q6_KMatrix q6 && q6.packed() != null) {
            Q6_Kx8 p = q6.packed();
            Q8KPairs a = pairs6;
            if (n >= Q6_K_BATCH_MIN_N) {
                applyBatch(p, a, xq, rowBytes, n, 2,
                        (k, g, b, h, slot) -> Q6_Kx8BatchKernel.expand(p, g, b, h, k.wf, k.wd, slot),
                        (k, b, h, j, o) -> {
                            Q6_Kx8BatchKernel.half(p, b, h, k.wf, a, j, k.sums, k.isum, 32 * j);
                            if (h == 1) Q6_Kx8BatchKernel.finish(p, b, k.wd, a, j, k.isum, 32 * j, out, o, rows);
                        },
                        (g, t, j, o) -> Q6_Kx8Kernel.tile1(p, g, t, a, j, out, o), out, outOff);
                return;
            }
            applyRepacked(p, a, xq, rowBytes, n, (g, t, j, o) -> Q6_Kx8Kernel.tile1(p, g, t, a, j, out, o), out, outOff);
            return;
        }
        if (w instanceof SplitWeights q && (Lanes.NARROW || Lanes.ENABLED && n <= q.splitMaxN())) {
            applySplit(q, rows, xq, rowBytes, n, out, outOff);
            return;
        }
        if (n > 1 && w instanceof LaneBlockWeights lw && Lanes.ENABLED) {
            applyLanes(lw, rows, cols / 32, xq, rowBytes, n, out, outOff);
            return;
        }
        if (n > 1 && w instanceof Q4_KMatrix q4k && Lanes.ENABLED) {
            applyQ4_K(q4k, rows, cols / 256, xq, rowBytes, n, out, outOff);
            return;
        }
        if (n > 1 && w instanceof Q6_KMatrix q6k && Lanes.ENABLED) {
            applyQ6_K(q6k, rows, cols / 256, xq, rowBytes, n, out, outOff);
            return;
        }
        // One task = a few weight rows × all n activation rows: each weight row is read from memory once, its blocks are
        // unpacked once per group of activation rows (dotRows), and the activations stream from L2.
        pool.forRange(rows, (from, to) -> {
            for (int r = from; r < to; r++) w.dotRows(r, xq, 0, rowBytes, n, out, outOff + r, rows);
        });
    }

    /**
     * The same product by {@link FloatGemm}: activations converted to the weight's dot type and decoded back (ggml's
     * values d · q), weight rows decoded, a float GEMM. Faster than {@link #apply} for prompt-sized n (perf/RESULTS.md),
     * not ggml's bits (within {@link FloatGemm#errorBound} of the exact sum), and each output the same bits whatever n
     * is and whichever rows share the call. Where the 256-bit kernels do not run, this is {@link #apply}.
     */
    public void applyGemm(WeightMatrix w, float[] x, int xOff, int n, float[] out, int outOff) {
        if (!Lanes.ENABLED) {
            apply(w, x, xOff, n, out, outOff);
            return;
        }
        int cols = w.cols(), rows = w.rows();
        GgmlType act = w.activationType();
        long rowBytes = Activations.rowBytes(act, cols);
        MemorySegment xq = quantize(w, x, xOff, n);
        if (dequantized.length < n * cols) dequantized = new float[n * cols];
        float[] xf = dequantized;
        pool.forRange(n, 1, (from, to) -> {
            for (int b = from; b < to; b++) Activations.dequantize(act, xq, b * rowBytes, cols, xf, b * cols);
        });
        // chunks of whole 4-row groups (the micro-kernel's tile)
        int chunk = (Math.max(1, (rows + pool.threads() * 4 - 1) / (pool.threads() * 4)) + 3) & ~3;
        pool.forRange(rows, chunk, (from, to) -> FloatGemm.rows(w, from, to, rows, xf, n, out, outOff));
    }

    /**
     * Rows b with {@code exact[b]} through {@link #apply} (ggml's bits), the others through {@link #applyGemm}; outputs
     * in place as for {@link #apply}. Either way a row's result does not depend on the other rows.
     */
    public void apply(WeightMatrix w, float[] x, int xOff, int n, float[] out, int outOff, boolean[] exact) {
        int e = 0;
        for (int b = 0; b < n; b++) if (exact[b]) e++;
        if (e == n) {
            apply(w, x, xOff, n, out, outOff);
            return;
        }
        if (e == 0) {
            applyGemm(w, x, xOff, n, out, outOff);
            return;
        }
        int cols = w.cols(), rows = w.rows(), g = n - e;
        if (gatherX.length < n * cols) gatherX = new float[n * cols];
        if (gatherOut.length < n * rows) gatherOut = new float[n * rows];
        // gatherX [g gemm rows, then e exact rows, cols]; gatherOut the same order, [n, rows]
        for (int b = 0, ig = 0, ie = g; b < n; b++) {
            System.arraycopy(x, xOff + b * cols, gatherX, (exact[b] ? ie++ : ig++) * cols, cols);
        }
        applyGemm(w, gatherX, 0, g, gatherOut, 0);
        apply(w, gatherX, g * cols, e, gatherOut, g * rows);
        for (int b = 0, ig = 0, ie = g; b < n; b++) {
            System.arraycopy(gatherOut, (exact[b] ? ie++ : ig++) * rows, out, outOff + b * rows, rows);
        }
    }

    /** Converts x [n, w.cols()] at xOff to the weight's dot type in {@link #scratch}: [n, rowBytes]. */
    private MemorySegment quantize(WeightMatrix w, float[] x, int xOff, int n) {
        int cols = w.cols();
        GgmlType act = w.activationType();
        long rowBytes = Activations.rowBytes(act, cols);
        long need = rowBytes * n;
        if (scratch.byteSize() < need) scratch = Arena.ofAuto().allocate(Math.max(need, scratch.byteSize() * 2), 64);
        MemorySegment xq = scratch;
        if (n == 1) {
            Activations.quantize(act, x, xOff, cols, xq, 0);
        } else {
            pool.forRange(n, 1, (from, to) -> {
                for (int b = from; b < to; b++) Activations.quantize(act, x, xOff + b * cols, cols, xq, b * rowBytes);
            });
        }
        return xq;
    }

    /**
     * 1..{@link SplitWeights#splitMaxN} activation rows against a Q4_0 / Q8_0 / Q4_K / Q6_K matrix: each row split once
     * ({@link ActivationSplit}), then per weight row {@link SplitWeights#dotSplit4} over tokens four at a time and
     * {@code dotSplit} for the rest (rows past {@code splitRows()}, Q4_0's last row whose 32-byte loads would pass the end
     * of the data: dot). Unpacking a block once per four tokens in 16-bit lanes costs less, at these N, than expanding
     * weight rows to floats for the lane GEMMs (decode: one stream, or batched 2-16 streams). Where the JVM's vectors are
     * 128 bits wide ({@link Lanes#NARROW}) every N comes here, tokens four at a time through
     * {@link SplitWeights#dotSplit4x128} (Q4_0 / Q8_0 unpack each block once for the four; Q4_K / Q6_K run four single
     * dots) and the rest through {@link SplitWeights#dotSplit128}, for every row: there is no lane GEMM at that width.
     */
    private void applySplit(SplitWeights q, int rows, MemorySegment xq, long rowBytes, int n, float[] out, int outOff) {
        boolean four = coldSplitCalls.get() <= 0 || coldSplitCalls.decrementAndGet() < 0;
        WeightMatrix m = (WeightMatrix) q;
        int blocks = m.cols() / m.type().blockSize;
        ActivationSplit split = q.activationSplit();
        long stride = split.rowBytes(blocks);
        MemorySegment ys = split.scratch(blocks, n);
        for (int t = 0; t < n; t++) split.split(xq, t * rowBytes, blocks, ys.asSlice(t * stride, stride));
        int splitRows = q.splitRows();
        // token tiles of split activations that stay in L2 while every weight row passes over them
        int tile = (int) Math.max(4, Math.min(n, SPLIT_TILE_BYTES / stride) & ~3);
        for (int tile0 = 0; tile0 < n; tile0 += tile) {
            int t0 = tile0, t1 = Math.min(n, tile0 + tile);
            pool.forRange(rows, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int t = t0;
                    if (Lanes.NARROW) {
                        for (; t + 4 <= t1; t += 4) q.dotSplit4x128(r, ys, stride, t, out, outOff + t * rows + r, rows);
                        for (; t < t1; t++) out[outOff + t * rows + r] = q.dotSplit128(r, ys, t * stride);
                    } else if (r < splitRows) {
                        if (four) for (; t + 4 <= t1; t += 4) q.dotSplit4(r, ys, stride, t, out, outOff + t * rows + r, rows);
                        for (; t < t1; t++) out[outOff + t * rows + r] = q.dotSplit(r, ys, t * stride);
                    } else {
                        for (; t < t1; t++) out[outOff + t * rows + r] = m.dot(r, xq, t * rowBytes);
                    }
                }
            });
        }
    }

    /** A repacked matrix's kernel on tile t of group g for token j, outputs at o. */
    private interface TokenTile {
        void run(int g, int t, int j, int o);
    }

    /**
     * Any number of activation rows against a repacked Q4_0, Q4_K or Q6_K matrix ({@link Q4_0x8Kernel},
     * {@link Q4_Kx8Kernel}, {@link Q6_Kx8Kernel}), each token through the one kernel, so a token gets the same bits whatever
     * n is. The converted activations ({@code xq}: [n, rowBytes]) are laid out in {@code a} once per token; then per lane
     * a range of 8-row groups, its outputs zeroed, tile by tile (each tile of every group one sequential stream of
     * weights), every token of a tile while its weights are in L1. (A Q4_0 kernel that unpacked each record once for four
     * tokens in 16-bit lanes was measured no faster per token than four one-token calls, KernelBench n=4 and 16, and was
     * removed: perf/RESULTS.md, eleventh session; {@link #applyBatch} shares the unpacking as floats instead.)
     */
    private void applyRepacked(RowGroups8 p, PairedActivations a, MemorySegment xq, long rowBytes, int n, TokenTile kernel,
                               float[] out, int outOff) {
        layOut(a, p.blocks, xq, rowBytes, n, false);
        int rows = p.rows, tiles = p.tiles();
        pool.forRange(p.groups, (from, to) -> {
            for (int j = 0; j < n; j++) java.util.Arrays.fill(out, outOff + j * rows + 8 * from, outOff + j * rows + 8 * to, 0f);
            for (int t = 0; t < tiles; t++) {
                for (int g = from; g < to; g++) {
                    for (int j = 0; j < n; j++) kernel.run(g, t, j, outOff + j * rows + 8 * g);
                }
            }
        });
    }

    /**
     * Lays out the n converted activation rows ({@code xq}: [n, rowBytes]) in {@code a} for a repacked matrix's kernels,
     * tokens spread over the pool; {@code batched}: also for the batched kernels.
     */
    private void layOut(PairedActivations a, int blocks, MemorySegment xq, long rowBytes, int n, boolean batched) {
        a.ensure(n, blocks);
        if (n == 1) {
            a.fill(0, xq, 0, blocks, batched);
        } else {
            pool.forRange(n, 1, (from, to) -> {
                for (int t = from; t < to; t++) a.fill(t, xq, t * rowBytes, blocks, batched);
            });
        }
    }

    /**
     * Rows from which a repacked Q4_0 matrix takes {@link Q4_0x8BatchKernel}: expanding a record to floats costs about
     * as much as four tokens' products, so below ~8 tokens the one-token kernel is faster (KernelBench, 4096 x 2048, 2
     * threads: n = 4 1.3 vs 0.9 ms, n = 8 about equal, n = 12 1.8 vs 2.3, n = 16 2.7 vs 2.8-3.2, n = 64 8-10 vs 12-13).
     * Either way the bits are the same.
     */
    static final int Q4_0_BATCH_MIN_N = 12;

    /**
     * The same for a repacked Q4_K matrix and {@link Q4_Kx8BatchKernel}, whose expansion also scales every nibble
     * (KernelBench as above: n = 8 2.0 vs 1.6 ms, n = 16 2.8 vs 3.0, n = 64 7.4-7.7 vs 11.7-12.1).
     */
    static final int Q4_K_BATCH_MIN_N = 16;

    /**
     * The same for a repacked Q6_K matrix and {@link Q6_Kx8BatchKernel}, whose one-token kernel is the slowest per weight
     * (KernelBench as above: n = 4 1.7-1.8 ms either way, n = 8 2.1-2.3 vs 3.1-3.2, n = 16 2.9-3.2 vs 5.9-6.0, n = 64
     * 7.6-8.0 vs 23.5-23.8).
     */
    static final int Q6_K_BATCH_MIN_N = 8;

    /** A lane's scratch for the batched kernels. */
    private static final class BatchScratch {
        /** [4 slots, 256] expanded Q4_0 records, or [4 slots, 1024] expanded Q4_K / Q6_K record halves. */
        final float[] wf = new float[4 * Math.max(Q4_0x8BatchKernel.EXPANDED,
                Math.max(Q4_Kx8BatchKernel.EXPANDED, Q6_Kx8BatchKernel.EXPANDED))];
        /** [4 slots, 8] d (Q4_0, Q6_K), or [4 slots, 16] d then dmin (Q4_K). */
        final float[] wd = new float[64];
        /** [4 slots, 64] Q4_K's sub-block mins. */
        final int[] wm = new int[256];
        /** [4 tokens][4 slots][8] the sums of one {@link ExactFma4x4#run}. */
        final float[] sums = new float[128];
        /** [n / 4 token quads][4 tokens][4 slots][8] the K-quants' integer sums, carried from a superblock's first half. */
        int[] isum = new int[0];
    }

    private static final ThreadLocal<BatchScratch> BATCH_SCRATCH = ThreadLocal.withInitial(BatchScratch::new);

    /** Expands part {@code part} of record (g, b) into slot {@code slot} of a lane's scratch. */
    private interface RecordExpand {
        void run(BatchScratch k, int g, int b, int part, int slot);
    }

    /** Runs tokens j..j+3 against part {@code part} of block b of the four expanded slots, outputs from o. */
    private interface QuadKernel {
        void run(BatchScratch k, int b, int part, int j, int o);
    }

    /**
     * Enough activation rows against a repacked matrix for its batched kernel ({@link Q4_0x8BatchKernel},
     * {@link Q4_Kx8BatchKernel}, {@link Q6_Kx8BatchKernel}): per lane a range of 8-row groups, tile by tile, four groups
     * at a time; each of their records expanded once per part (Q4_0 1, the K-quants' two halves) and run for every four
     * tokens. The tokens past a multiple of four, and the groups past a multiple of four, run the one-token kernel:
     * every output gets the bits it gets alone, blocks added in order.
     */
    private void applyBatch(RowGroups8 p, PairedActivations a, MemorySegment xq, long rowBytes, int n, int parts,
                            RecordExpand expand, QuadKernel quad, TokenTile one, float[] out, int outOff) {
        layOut(a, p.blocks, xq, rowBytes, n, true);
        int rows = p.rows, tiles = p.tiles(), n4 = n & ~3, tile = p.layout.tile();
        // chunks of whole 4-group quads, a few per lane
        int chunk = (Math.max(1, (p.groups + pool.threads() * 4 - 1) / (pool.threads() * 4)) + 3) & ~3;
        pool.forRange(p.groups, chunk, (from, to) -> {
            BatchScratch k = BATCH_SCRATCH.get();
            if (k.isum.length < 32 * n4) k.isum = new int[32 * n4];
            for (int j = 0; j < n; j++) java.util.Arrays.fill(out, outOff + j * rows + 8 * from, outOff + j * rows + 8 * to, 0f);
            int quads = from + ((to - from) & ~3);
            for (int t = 0; t < tiles; t++) {
                int b0 = t * tile, b1 = b0 + p.tileBlocks(t);
                for (int g = from; g < quads; g += 4) {
                    int o = outOff + 8 * g;
                    for (int b = b0; b < b1; b++) {
                        for (int part = 0; part < parts; part++) {
                            for (int s = 0; s < 4; s++) expand.run(k, g + s, b, part, s);
                            for (int j = 0; j < n4; j += 4) quad.run(k, b, part, j, o + j * rows);
                        }
                    }
                    for (int j = n4; j < n; j++) {
                        for (int s = 0; s < 4; s++) one.run(g + s, t, j, o + j * rows + 8 * s);
                    }
                }
                for (int g = quads; g < to; g++) {
                    for (int j = 0; j < n; j++) one.run(g, t, j, outOff + j * rows + 8 * g);
                }
            }
        });
    }

    /** Split activations per token tile of {@link #applySplit}: half of a Zen 4 / recent Intel core's L2. */
    static final long SPLIT_TILE_BYTES = 512 * 1024;

    /**
     * Split-path matmuls a process runs before it uses {@link SplitWeights#dotSplit4}: until then every token goes
     * through {@code dotSplit}, which gives the same bits. In a fresh JVM the kernels' Vector API code runs in its slow
     * Java fallbacks until C2 has compiled it, and C2 compiles one method at a time, so a cold server's first prefill
     * waits for every kernel it touches. dotSplit4 is the larger compile (its four unrolled tokens: ~150-200 ms of C2
     * time and often an OSR compile besides); leaving it out of the first forward pass (113 matmuls for llama-1b) took
     * a cold one-token generate on llama-1b Q4_0 from 1.52 to 1.37 s (medians, perf/RESULTS.md). Later passes use it.
     */
    static final int COLD_SPLIT_CALLS = 256;
    private static final AtomicInteger coldSplitCalls = new AtomicInteger(COLD_SPLIT_CALLS);

    /** Tests: sets the number of split-path matmuls left that run one token at a time (0: dotSplit4 from now on). */
    static void coldSplitCallsLeft(int calls) {
        coldSplitCalls.set(calls);
    }

    /** Split-path matmuls left that run one token at a time (0 or less: none). */
    static int coldSplitCallsLeft() {
        return Math.max(0, coldSplitCalls.get());
    }

    /** N > 1 rows against a Q4_0 / Q8_0 matrix: {@link LaneGemm} on activations expanded once. */
    private void applyLanes(LaneBlockWeights w, int rows, int blocks, MemorySegment xq, long rowBytes, int n, float[] out,
                            int outOff) {
        int rowFloats = 32 * blocks;
        if (lanes.length < n * rowFloats) lanes = new float[n * rowFloats];
        if (laneScales.length < n * blocks) laneScales = new float[n * blocks];
        float[] x = lanes, xd = laneScales;
        pool.forRange(n, 1, (from, to) -> {
            for (int b = from; b < to; b++) LaneGemm.expandQ8_0(xq, b * rowBytes, blocks, x, b * rowFloats, xd, b * blocks);
        });
        pool.forRange(rows, (from, to) -> LaneGemm.rows(w, from, to, rows, blocks, x, xd, n, out, outOff));
    }

    /** N > 1 rows against a Q4_K matrix: {@link Q4_KLaneGemm} on activations expanded once. */
    private void applyQ4_K(Q4_KMatrix w, int rows, int blocks, MemorySegment xq, long rowBytes, int n, float[] out,
                           int outOff) {
        int rowFloats = Q8_KLanes.Q4_K_FLOATS * blocks;
        if (lanes.length < n * rowFloats) lanes = new float[n * rowFloats];
        if (laneScales.length < n * blocks) laneScales = new float[n * blocks];
        if (laneSums.length < n * blocks * 8) laneSums = new float[n * blocks * 8];
        float[] x = lanes, xd = laneScales, xs = laneSums;
        pool.forRange(n, 1, (from, to) -> {
            for (int b = from; b < to; b++) {
                Q8_KLanes.expandForQ4_K(xq, b * rowBytes, blocks, x, b * rowFloats, xd, b * blocks, xs, 8 * b * blocks);
            }
        });
        pool.forRange(rows, (from, to) -> Q4_KLaneGemm.rows(w, from, to, rows, blocks, x, xd, xs, n, out, outOff));
    }

    /** N > 1 rows against a Q6_K matrix: {@link Q6_KLaneGemm} on activations expanded once. */
    private void applyQ6_K(Q6_KMatrix w, int rows, int blocks, MemorySegment xq, long rowBytes, int n, float[] out,
                           int outOff) {
        int rowFloats = Q8_KLanes.Q6_K_FLOATS * blocks;
        if (lanes.length < n * rowFloats) lanes = new float[n * rowFloats];
        if (laneScales.length < n * blocks) laneScales = new float[n * blocks];
        float[] x = lanes, xd = laneScales;
        pool.forRange(n, 1, (from, to) -> {
            for (int b = from; b < to; b++) Q8_KLanes.expandForQ6_K(xq, b * rowBytes, blocks, x, b * rowFloats, xd, b * blocks);
        });
        pool.forRange(rows, (from, to) -> Q6_KLaneGemm.rows(w, from, to, rows, blocks, x, xd, n, out, outOff));
    }
}
