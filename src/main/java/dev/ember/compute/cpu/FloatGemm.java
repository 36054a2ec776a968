package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Matrix × matrix product of activation rows (the prompt path, {@link Matmul#applyGemm}) against a weight matrix of any
 * type, as a float GEMM on dequantized operands: each weight row is decoded once per token tile
 * ({@link WeightMatrix#dequantizeRow}), the activations once per call ({@link Activations#dequantize} of the row the dot
 * type quantized, so the values are ggml's: d · q), and every output is {@code Σ_k w[k] · x[k]}.
 *
 * <p>Why not the integer arithmetic of the dots: ggml's dot scales each block's integer sum by {@code d_w · d_x}, so the
 * block sums must be finished before they are scaled: in floats that costs an extra FMA, a scalar product and a broadcast
 * per (row, token, block), and the block's partial sums occupy registers the tile needs. With the scales folded into the
 * operands the inner loop is one FMA per 8 multiply-adds and an accumulator runs over the whole row, which lets the
 * micro-kernel hold a 4-row × 4-token tile (16 accumulators, 32 vector registers on AVX-512 machines; on 16-register
 * AVX2 machines it spills and runs like a 2 × 4 tile). Measured on the 2-core EPYC (KernelBench path=gemm against the
 * integer-exact lane GEMMs, perf/RESULTS.md). The price: the result is not ggml's bit for bit; it is the same sum in
 * another float order (every product of dequantized values is exact for Q4_0 / Q8_0 and rounds once otherwise), within
 * {@link #errorBound} of the exact value. Which tokens take this path is decided by their role, not by the batch
 * ({@code Batch.exact}).
 *
 * <p>Shapes: weights {@code [rows, cols]} (one {@link WeightMatrix}), activations {@code x [n, cols]} floats,
 * output {@code out [n, rows]} at {@code outOff}. Each (row, token) output is computed by the same lane-wise FMA chain
 * over k and the same final reduction whatever the tile, the thread split or n, so it does not depend on batch size.
 */
final class FloatGemm {
    private FloatGemm() {}

    /**
     * Dequantized activations of one token tile stay under this many bytes: each 4-row group streams the tile once per
     * 4 tokens and is decoded once per tile.
     */
    static final int TILE_BYTES = 4 * 1024 * 1024;

    /** Per thread: [4, cols] decoded weight rows, and [16, 8] accumulator lanes for the epilogue. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[128]});

    /** {@code out[outOff + t * rows + r] = Σ_k W[r, k] · x[t * cols + k]} for r in {@code [rowFrom, rowTo)}, t < n. */
    static void rows(WeightMatrix w, int rowFrom, int rowTo, int rows, float[] x, int n, float[] out, int outOff) {
        int cols = w.cols();
        float[][] s = SCRATCH.get();
        if (s[0].length < 4 * cols) s[0] = new float[4 * cols];
        float[] wf = s[0], acc = s[1];
        int tile = (int) Math.max(4, Math.min(n, TILE_BYTES / (4L * cols)) & ~3);
        for (int t0 = 0; t0 < n; t0 += tile) {
            int t1 = Math.min(n, t0 + tile);
            for (int r = rowFrom; r < rowTo; r += 4) {
                int m = Math.min(4, rowTo - r);
                for (int i = 0; i < 4; i++) {
                    if (i < m) w.dequantizeRow(r + i, wf, i * cols);
                    else java.util.Arrays.fill(wf, i * cols, (i + 1) * cols, 0f);
                }
                int t = t0;
                for (; t + 4 <= t1; t += 4) tile4x4(wf, cols, x, t, acc, out, outOff + t * rows + r, rows, m);
                for (; t < t1; t++) tile4x1(wf, cols, x, t, acc, out, outOff + t * rows + r, m);
            }
        }
    }

    /**
     * Weight rows {@code wf[i * cols ..]} (i < 4) × tokens t..t+3: sixteen accumulators, each loaded weight vector used
     * four times and each activation vector four times. Writes {@code out[o + j * rows + i]} for i < m, token t + j.
     */
    private static void tile4x4(float[] wf, int cols, float[] x, int t, float[] acc, float[] out, int o, int rows, int m) {
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        int w1 = cols, w2 = 2 * cols, w3 = 3 * cols;
        int kv = cols & ~7;
        FloatVector z = FloatVector.zero(Lanes.F32x8);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int k = 0; k < kv; k += 8) {
            FloatVector u0 = FloatVector.fromArray(Lanes.F32x8, wf, k);
            FloatVector u1 = FloatVector.fromArray(Lanes.F32x8, wf, w1 + k);
            FloatVector u2 = FloatVector.fromArray(Lanes.F32x8, wf, w2 + k);
            FloatVector u3 = FloatVector.fromArray(Lanes.F32x8, wf, w3 + k);
            FloatVector y = FloatVector.fromArray(Lanes.F32x8, x, x0 + k);
            a00 = u0.fma(y, a00); a10 = u1.fma(y, a10); a20 = u2.fma(y, a20); a30 = u3.fma(y, a30);
            y = FloatVector.fromArray(Lanes.F32x8, x, x1 + k);
            a01 = u0.fma(y, a01); a11 = u1.fma(y, a11); a21 = u2.fma(y, a21); a31 = u3.fma(y, a31);
            y = FloatVector.fromArray(Lanes.F32x8, x, x2 + k);
            a02 = u0.fma(y, a02); a12 = u1.fma(y, a12); a22 = u2.fma(y, a22); a32 = u3.fma(y, a32);
            y = FloatVector.fromArray(Lanes.F32x8, x, x3 + k);
            a03 = u0.fma(y, a03); a13 = u1.fma(y, a13); a23 = u2.fma(y, a23); a33 = u3.fma(y, a33);
        }
        // acc [16, 8]: accumulator of row i, token j at 8 * (4j + i)
        a00.intoArray(acc, 0); a10.intoArray(acc, 8); a20.intoArray(acc, 16); a30.intoArray(acc, 24);
        a01.intoArray(acc, 32); a11.intoArray(acc, 40); a21.intoArray(acc, 48); a31.intoArray(acc, 56);
        a02.intoArray(acc, 64); a12.intoArray(acc, 72); a22.intoArray(acc, 80); a32.intoArray(acc, 88);
        a03.intoArray(acc, 96); a13.intoArray(acc, 104); a23.intoArray(acc, 112); a33.intoArray(acc, 120);
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < m; i++) {
                out[o + j * rows + i] = Lanes.hsum8(acc, 8 * (4 * j + i)) + tail(wf, i * cols, x, x0 + j * cols, kv, cols);
            }
        }
    }

    /** Weight rows {@code wf[i * cols ..]} (i < 4) × token t: writes {@code out[o + i]} for i < m. */
    private static void tile4x1(float[] wf, int cols, float[] x, int t, float[] acc, float[] out, int o, int m) {
        int x0 = t * cols;
        int w1 = cols, w2 = 2 * cols, w3 = 3 * cols;
        int kv = cols & ~7;
        FloatVector a0 = FloatVector.zero(Lanes.F32x8), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < kv; k += 8) {
            FloatVector y = FloatVector.fromArray(Lanes.F32x8, x, x0 + k);
            a0 = FloatVector.fromArray(Lanes.F32x8, wf, k).fma(y, a0);
            a1 = FloatVector.fromArray(Lanes.F32x8, wf, w1 + k).fma(y, a1);
            a2 = FloatVector.fromArray(Lanes.F32x8, wf, w2 + k).fma(y, a2);
            a3 = FloatVector.fromArray(Lanes.F32x8, wf, w3 + k).fma(y, a3);
        }
        a0.intoArray(acc, 0); a1.intoArray(acc, 8); a2.intoArray(acc, 16); a3.intoArray(acc, 24);
        for (int i = 0; i < m; i++) out[o + i] = Lanes.hsum8(acc, 8 * i) + tail(wf, i * cols, x, x0, kv, cols);
    }

    /** {@code Σ wf[wo + k] · x[xo + k]} for k in {@code [from, to)}: the columns past the last whole vector (F32 / F16 rows). */
    private static float tail(float[] wf, int wo, float[] x, int xo, int from, int to) {
        float s = 0;
        for (int k = from; k < to; k++) s = Math.fma(wf[wo + k], x[xo + k], s);
        return s;
    }

    /**
     * The bound this GEMM's result keeps to the exact sum {@code Σ_k w[k] x[k]} of its (dequantized) operands, given
     * {@code Σ_k |w[k] x[k]|}: each output is a chain of {@code cols / 8} FMAs per lane, a three-level lane reduction and
     * the scalar tail, every step rounding once (relative error 2^-24).
     */
    static double errorBound(int cols, double sumAbs) {
        return (cols / 8 + (cols & 7) + 4) * 0x1p-24 * sumAbs * 1.0001;
    }
}
