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
    /** [n, cols] the converted activations decoded back to floats, for {@link FloatGemm}. */
    private float[] dequantized = new float[0];

    public Matmul(WorkerPool pool) {
        this.pool = pool;
    }

    public WorkerPool pool() {
        return pool;
    }

    /**
     * out[b, r] = Σ_c w[r, c] · x[b, c] for b < n, r < w.rows().
     *
     * @param x   [n, w.cols()] row-major at xOff
     * @param out [n, w.rows()] row-major at outOff
     */
    public void apply(WeightMatrix w, float[] x, int xOff, int n, float[] out, int outOff) {
        int cols = w.cols();
        int rows = w.rows();
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
        if (usesFloatGemm(w, n)) {
            applyFloat(w, act, rows, cols, xq, rowBytes, n, out, outOff);
            return;
        }
        if (w instanceof SplitWeights q && (Lanes.NARROW || Lanes.ENABLED)) {
            applySplit(q, rows, xq, rowBytes, n, out, outOff);
            return;
        }
        // One task = a few weight rows × all n activation rows: each weight row is read from memory once, its blocks are
        // unpacked once per group of activation rows (dotRows), and the activations stream from L2.
        pool.forRange(rows, (from, to) -> {
            for (int r = from; r < to; r++) w.dotRows(r, xq, 0, rowBytes, n, out, outOff + r, rows);
        });
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

    /**
     * Whether {@link #apply} of {@code n} activation rows runs {@link FloatGemm} (not ggml's bits): beyond
     * {@link SplitWeights#splitMaxN} rows for the split types, beyond {@link #EXACT_MAX_N} for the others, and only where the
     * 256-bit kernels run.
     */
    static boolean usesFloatGemm(WeightMatrix w, int n) {
        return Lanes.ENABLED && n > (w instanceof SplitWeights q ? q.splitMaxN() : EXACT_MAX_N);
    }

    /**
     * Up to this many activation rows, the types without split kernels (F32, F16, BF16, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K)
     * run {@link WeightMatrix#dotRows}, ggml's arithmetic bit for bit (small decode batches then give each stream the bits
     * it gets alone); beyond it {@link FloatGemm}. The split types switch at their {@link SplitWeights#splitMaxN}.
     */
    static final int EXACT_MAX_N = 16;

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

    /** N > 1 rows: {@link FloatGemm} on the activations dequantized once ({@code [n, cols]} floats). */
    private void applyFloat(WeightMatrix w, GgmlType act, int rows, int cols, MemorySegment xq, long rowBytes, int n,
                            float[] out, int outOff) {
        if (dequantized.length < n * cols) dequantized = new float[n * cols];
        float[] x = dequantized;
        pool.forRange(n, 1, (from, to) -> {
            for (int b = from; b < to; b++) Activations.dequantize(act, xq, b * rowBytes, cols, x, b * cols);
        });
        // chunks of whole 4-row groups (the micro-kernel's tile)
        int chunk = (Math.max(1, (rows + pool.threads() * 4 - 1) / (pool.threads() * 4)) + 3) & ~3;
        pool.forRange(rows, chunk, (from, to) -> FloatGemm.rows(w, from, to, rows, x, n, out, outOff));
    }
}
