package dev.ember.model;

import dev.ember.compute.cpu.GgmlDot;
import dev.ember.compute.cpu.Matmul;
import dev.ember.compute.cpu.Ops;
import dev.ember.compute.cpu.Rope;
import dev.ember.compute.cpu.WorkerPool;

/**
 * The forward pass of a llama-family decoder (llama, mistral, qwen2 with q/k/v biases, qwen3 with q/k
 * norms) over a {@link Batch} of tokens from any number of sequences. Every weight matrix is applied
 * once per batch to all N activations. Buffers live in the runner and grow with the largest batch seen;
 * a runner is used by one thread at a time.
 */
public final class ModelRunner implements Forward {
    private final ModelConfig c;
    private final ModelWeights w;
    private final KvCache cache;
    private final Matmul matmul;
    private final WorkerPool pool;
    private final Rope rope;
    private final float attnScale;

    // Activations, all row-major with one row per batch token.
    private int capacity;
    private float[] x;     // [n, dim] residual stream
    private float[] xb;    // [n, dim] normed input of a sub-layer
    private float[] q;     // [n, numHeads * headDim]
    private float[] k;     // [n, kvDim]
    private float[] v;     // [n, kvDim]
    private float[] att;   // [n, numHeads * headDim] attention output
    private float[] proj;  // [n, dim] sub-layer output
    private float[] gate;  // [n, ffnDim]
    private float[] up;    // [n, ffnDim]
    private float[] cos;   // [n, ropeDims / 2]
    private float[] sin;   // [n, ropeDims / 2]
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new); // per worker lane

    public ModelRunner(ModelConfig config, ModelWeights weights, KvCache cache, WorkerPool pool) {
        if (cache.kvDim() != config.kvDim()) {
            throw new IllegalArgumentException("KV cache rows are " + cache.kvDim() + " wide, model needs " + config.kvDim());
        }
        this.c = config;
        this.w = weights;
        this.cache = cache;
        this.pool = pool;
        this.matmul = new Matmul(pool);
        weights.repackCache().repack(weights.matrices(), pool);
        this.rope = new Rope(config.ropeDims(), config.ropeBase(), config.ropeFreqScale(), weights.ropeFreqs(), config.ropeNeox());
        this.attnScale = 1.0f / (float) Math.sqrt(config.headDim());
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public KvCache cache() {
        return cache;
    }

    private void ensureCapacity(int n) {
        if (n <= capacity) return;
        capacity = Math.max(n, capacity * 2);
        x = new float[capacity * c.dim()];
        xb = new float[capacity * c.dim()];
        q = new float[capacity * c.qDim()];
        k = new float[capacity * c.kvDim()];
        v = new float[capacity * c.kvDim()];
        att = new float[capacity * c.qDim()];
        proj = new float[capacity * c.dim()];
        gate = new float[capacity * c.ffnDim()];
        up = new float[capacity * c.ffnDim()];
        cos = new float[capacity * c.ropeDims() / 2];
        sin = new float[capacity * c.ropeDims() / 2];
    }

    /**
     * Runs the batch, writing its keys and values into the cache, and returns the logits of the rows
     * {@code batch.logitRows()}: [logitRows.length, vocab] row-major.
     */
    @Override
    public float[] forward(Batch batch) {
        int n = batch.size();
        batch.checkRunnable(c.vocabSize());
        ensureCapacity(n);
        int dim = c.dim();
        int half = c.ropeDims() / 2;
        for (int i = 0; i < n; i++) {
            w.tokenEmbedding().dequantizeRow(batch.tokens()[i], x, i * dim);
            rope.angles(batch.positions()[i], cos, sin, i * half);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            layer(l, w.layers()[l], batch);
        }
        int[] rows = batch.logitRows();
        int m = rows.length;
        for (int j = 0; j < m; j++) {
            Ops.rmsNorm(x, rows[j] * dim, w.outputNorm(), xb, j * dim, dim, c.rmsEps());
        }
        float[] logits = new float[m * c.vocabSize()];
        boolean[] exact = new boolean[m];
        for (int j = 0; j < m; j++) exact[j] = batch.exact()[rows[j]];
        matmul.apply(w.output(), xb, 0, m, logits, 0, exact);
        return logits;
    }

    private void layer(int l, LayerWeights lw, Batch batch) {
        int n = batch.size();
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int hd = c.headDim();
        int half = c.ropeDims() / 2;

        // --- attention ---
        for (int i = 0; i < n; i++) Ops.rmsNorm(x, i * dim, lw.attnNorm(), xb, i * dim, dim, c.rmsEps());
        matmul.apply(lw.wq(), xb, 0, n, q, 0, batch.exact());
        matmul.apply(lw.wk(), xb, 0, n, k, 0, batch.exact());
        matmul.apply(lw.wv(), xb, 0, n, v, 0, batch.exact());
        float[] keys = cache.keys(l);
        float[] values = cache.values(l);
        for (int i = 0; i < n; i++) {
            if (lw.bq() != null) Ops.add(q, i * qDim, lw.bq(), 0, qDim);
            if (lw.bk() != null) Ops.add(k, i * kvDim, lw.bk(), 0, kvDim);
            if (lw.bv() != null) Ops.add(v, i * kvDim, lw.bv(), 0, kvDim);
            if (lw.qNorm() != null) {
                for (int h = 0; h < c.numHeads(); h++) Ops.rmsNorm(q, i * qDim + h * hd, lw.qNorm(), q, i * qDim + h * hd, hd, c.rmsEps());
            }
            if (lw.kNorm() != null) {
                for (int h = 0; h < c.numKvHeads(); h++) Ops.rmsNorm(k, i * kvDim + h * hd, lw.kNorm(), k, i * kvDim + h * hd, hd, c.rmsEps());
            }
            rope.apply(q, i * qDim, c.numHeads(), hd, cos, sin, i * half);
            rope.apply(k, i * kvDim, c.numKvHeads(), hd, cos, sin, i * half);
            int slot = batch.tables()[i].slot(batch.positions()[i]);
            System.arraycopy(k, i * kvDim, keys, slot * kvDim, kvDim);
            System.arraycopy(v, i * kvDim, values, slot * kvDim, kvDim);
        }
        attention(batch, keys, values);
        matmul.apply(lw.wo(), att, 0, n, proj, 0, batch.exact());
        for (int i = 0; i < n; i++) Ops.add(x, i * dim, proj, i * dim, dim);

        // --- feed-forward (SwiGLU) ---
        for (int i = 0; i < n; i++) Ops.rmsNorm(x, i * dim, lw.ffnNorm(), xb, i * dim, dim, c.rmsEps());
        matmul.apply(lw.wGate(), xb, 0, n, gate, 0, batch.exact());
        matmul.apply(lw.wUp(), xb, 0, n, up, 0, batch.exact());
        int ffn = c.ffnDim();
        for (int i = 0; i < n; i++) Ops.siluMul(gate, i * ffn, up, i * ffn, ffn);
        matmul.apply(lw.wDown(), gate, 0, n, proj, 0, batch.exact());
        for (int i = 0; i < n; i++) Ops.add(x, i * dim, proj, i * dim, dim);
    }

    /**
     * Causal attention of every (token, head) over its own sequence's cached positions 0..pos, in
     * ggml_vec_dot_f32's summation order for both Q·Kᵀ and P·V (see {@link GgmlDot}): P·V is accumulated
     * per output dimension in 32 FMA lanes, position t in lane t mod 32 (lane-major, {@link GgmlDot#accumulatePv}).
     */
    private void attention(Batch batch, float[] keys, float[] values) {
        int n = batch.size();
        int heads = c.numHeads();
        int group = heads / c.numKvHeads();
        int hd = c.headDim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int lanes = GgmlDot.LANES;
        int bs = cache.blockSize();
        pool.forRange(n * heads, (from, to) -> {
            for (int task = from; task < to; task++) {
                int i = task / heads;
                int h = task % heads;
                int pos = batch.positions()[i];
                BlockTable table = batch.tables()[i];
                Scratch sc = scratch.get();
                float[] s = sc.scores(pos + 1);
                float[] acc = sc.accumulators(hd * lanes);
                int qOff = i * qDim + h * hd;
                int kvOff = (h / group) * hd;
                // positions block by block: block j of the table holds positions j*bs .. j*bs+bs-1 at consecutive slots
                for (int j = 0, t0 = 0; t0 <= pos; j++, t0 += bs) {
                    int end = Math.min(pos + 1, t0 + bs);
                    int t = t0, at = table.block(j) * bs * kvDim + kvOff;
                    for (; t + 4 <= end; t += 4, at += 4 * kvDim) GgmlDot.vecDotF32x4(keys, at, kvDim, q, qOff, hd, s, t, sc.dotLanes);
                    for (; t < end; t++, at += kvDim) s[t] = GgmlDot.vecDotF32(keys, at, q, qOff, hd, sc.dotLanes);
                }
                Ops.softmax(s, 0, pos + 1, attnScale);
                java.util.Arrays.fill(acc, 0, hd * lanes, 0f);
                for (int j = 0, t0 = 0; t0 <= pos; j++, t0 += bs) {
                    int end = Math.min(pos + 1, t0 + bs);
                    for (int t = t0, at = table.block(j) * bs * kvDim + kvOff; t < end; t++, at += kvDim) {
                        GgmlDot.accumulatePv(acc, t & (lanes - 1), values, at, s[t], hd);
                    }
                }
                int outOff = i * qDim + h * hd;
                GgmlDot.reduceLaneMajor(acc, hd, att, outOff, sc.dotLanes);
            }
        });
    }

    /** Per-lane scratch of the attention loop, grown on demand. */
    private static final class Scratch {
        private float[] scores = new float[256];
        private float[] acc = new float[32 * 128];
        final float[] dotLanes = new float[GgmlDot.LANES]; // accumulators of one Q·K dot

        float[] scores(int n) {
            if (scores.length < n) scores = new float[Math.max(n, scores.length * 2)];
            return scores;
        }

        float[] accumulators(int n) {
            if (acc.length < n) acc = new float[n];
            return acc;
        }
    }
}
