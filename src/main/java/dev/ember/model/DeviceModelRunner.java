package dev.ember.model;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.gguf.GgmlType;
import dev.ember.kernels.Add;
import dev.ember.kernels.Attention;
import dev.ember.kernels.CopyRows;
import dev.ember.kernels.Embedding;
import dev.ember.kernels.KvStore;
import dev.ember.kernels.MatmulF16;
import dev.ember.kernels.MatmulF32;
import dev.ember.kernels.MatmulQuant;
import dev.ember.kernels.QuantizeQ8_0;
import dev.ember.kernels.QuantizeQ8_K;
import dev.ember.kernels.RmsNorm;
import dev.ember.kernels.Rope;
import dev.ember.kernels.SwiGlu;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The forward pass of {@link ModelRunner} on a kernel {@link Backend} (the Java executor, OpenCL, CUDA):
 * the same llama-family decoder over a {@link Batch} of tokens from many sequences, with the weights
 * uploaded once, activations and the paged KV cache resident on the device, and every op a kernel from
 * {@code kernels/} enqueued on the backend's one queue. Per batch only the token ids, positions, rope
 * angles and block tables go up and the wanted logits come back.
 */
public final class DeviceModelRunner implements Forward {
    private static final KernelRef EMBED = KernelRef.of(Embedding.class, "gather");
    private static final KernelRef RMS_NORM = KernelRef.of(RmsNorm.class, "rmsNorm");
    private static final KernelRef ROPE = KernelRef.of(dev.ember.kernels.Rope.class, "rope");
    private static final KernelRef ADD = KernelRef.of(Add.class, "add");
    private static final KernelRef SILU_MUL = KernelRef.of(SwiGlu.class, "siluMul");
    private static final KernelRef KV_STORE = KernelRef.of(KvStore.class, "store");
    private static final KernelRef ATTENTION = KernelRef.of(Attention.class, "attention");
    private static final KernelRef COPY_ROWS = KernelRef.of(CopyRows.class, "copyRows");
    private static final KernelRef MATMUL_F32 = KernelRef.of(MatmulF32.class, "matmul");
    private static final KernelRef MATMUL_F16 = KernelRef.of(MatmulF16.class, "matmul");
    private static final KernelRef MATMUL_QUANT = KernelRef.of(MatmulQuant.class, "matmul");
    private static final KernelRef QUANTIZE_Q8_0 = KernelRef.of(QuantizeQ8_0.class, "quantize");
    private static final KernelRef QUANTIZE_Q8_K = KernelRef.of(QuantizeQ8_K.class, "quantize");

    /** One transformer block's weights on the device; vectors are f32 [n], absent ones null. */
    private record Layer(DeviceBuffer attnNorm, DeviceWeight wq, DeviceWeight wk, DeviceWeight wv, DeviceWeight wo,
                         DeviceBuffer bq, DeviceBuffer bk, DeviceBuffer bv, DeviceBuffer qNorm, DeviceBuffer kNorm,
                         DeviceBuffer ffnNorm, DeviceWeight wGate, DeviceWeight wUp, DeviceWeight wDown) {}

    private final ModelConfig c;
    private final KvCache cache;
    private final DeviceKvCache storage;
    private final Backend backend;
    private final dev.ember.compute.cpu.Rope rope;
    private final float attnScale;
    private final Arena arena = Arena.ofShared();
    private final java.util.List<DeviceBuffer> owned = new java.util.ArrayList<>();

    private final DeviceWeight embedding;  // [vocab, dim]
    private final DeviceWeight output;     // [vocab, dim], the embedding itself when tied
    private final DeviceBuffer outputNorm; // [dim]
    private final Layer[] layers;

    // Activations on the device, row-major with one row per batch token; sized for `capacity` tokens.
    private int capacity;
    private DeviceBuffer x;      // [n, dim] f32 residual stream
    private DeviceBuffer xb;     // [n, dim] f32 normed input of a sub-layer
    private DeviceBuffer q;      // [n, qDim] f32
    private DeviceBuffer k;      // [n, kvDim] f32
    private DeviceBuffer v;      // [n, kvDim] f32
    private DeviceBuffer att;    // [n, qDim] f32 attention output
    private DeviceBuffer proj;   // [n, dim] f32 sub-layer output
    private DeviceBuffer gate;   // [n, ffnDim] f32
    private DeviceBuffer up;     // [n, ffnDim] f32
    private DeviceBuffer xq;     // [n, max width] activations as Q8_0 / Q8_K blocks
    private DeviceBuffer xdq;    // [n, max width] f32 those blocks' values (for dequantized fallback weights)
    private DeviceBuffer identity; // [n] i32 0, 1, ..., n-1: the rows of xq to expand
    private DeviceBuffer cos;    // [n, ropeDims / 2] f32
    private DeviceBuffer sin;    // [n, ropeDims / 2] f32
    private DeviceBuffer tokens; // [n] i32
    private DeviceBuffer slots;  // [n] i32 KV slot of each token
    private DeviceBuffer positions;  // [n] i32
    private DeviceBuffer blockStart; // [n] i32 offset of each token's block table in `blocks`
    private DeviceBuffer logitRows;  // [n] i32
    private DeviceBuffer xr;     // [n, dim] f32 the rows whose logits are wanted
    private DeviceBuffer logits; // [n, vocab] f32
    private DeviceBuffer blocks; // [blocksCapacity] i32 concatenated block tables
    private int blocksCapacity;
    private DeviceBuffer scores; // [n * heads, scoresContext] f32 attention scratch
    private long scoresBytes;
    private MemorySegment stage; // host staging for uploads and downloads
    private float[] cosHost = new float[0];
    private float[] sinHost = new float[0];

    // Which buffer xq currently holds quantized, and how (quantize once for wq, wk, wv / gate, up).
    private DeviceBuffer quantizedFrom;
    private GgmlType quantizedAs;

    /**
     * @param cache   the cache the batches' block tables come from (the engine's BlockManager, or {@code storage} itself)
     * @param storage where the K/V rows live on the backend
     */
    public DeviceModelRunner(ModelConfig config, ModelWeights weights, KvCache cache, DeviceKvCache storage, Backend backend) {
        if (cache.kvDim() != config.kvDim() || storage.kvDim() != config.kvDim()) {
            throw new IllegalArgumentException("KV cache rows are " + cache.kvDim() + " wide, model needs " + config.kvDim());
        }
        if (cache.blockSize() != storage.blockSize() || cache.numBlocks() != storage.numBlocks()) {
            throw new IllegalArgumentException("the block tables' cache and the device storage differ in geometry");
        }
        this.c = config;
        this.cache = cache;
        this.storage = storage;
        this.backend = backend;
        this.rope = new dev.ember.compute.cpu.Rope(config.ropeDims(), config.ropeBase(), config.ropeFreqScale(), weights.ropeFreqs(), config.ropeNeox());
        this.attnScale = 1.0f / (float) Math.sqrt(config.headDim());
        this.embedding = DeviceWeight.upload(backend, weights.tokenEmbedding());
        this.output = weights.output() == weights.tokenEmbedding() ? embedding : DeviceWeight.upload(backend, weights.output());
        this.outputNorm = vector(weights.outputNorm());
        this.layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            LayerWeights lw = weights.layers()[l];
            layers[l] = new Layer(vector(lw.attnNorm()), DeviceWeight.upload(backend, lw.wq()), DeviceWeight.upload(backend, lw.wk()),
                    DeviceWeight.upload(backend, lw.wv()), DeviceWeight.upload(backend, lw.wo()),
                    vector(lw.bq()), vector(lw.bk()), vector(lw.bv()), vector(lw.qNorm()), vector(lw.kNorm()),
                    vector(lw.ffnNorm()), DeviceWeight.upload(backend, lw.wGate()), DeviceWeight.upload(backend, lw.wUp()),
                    DeviceWeight.upload(backend, lw.wDown()));
        }
        backend.finish();
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public KvCache cache() {
        return cache;
    }

    public Backend backend() {
        return backend;
    }

    private DeviceBuffer vector(float[] v) {
        if (v == null) return null;
        DeviceBuffer b = backend.allocate((long) v.length * Float.BYTES);
        owned.add(b);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate((long) v.length * Float.BYTES, 16);
            MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v.length);
            backend.upload(b, 0, s);
        }
        return b;
    }

    private DeviceBuffer floats(long count) {
        DeviceBuffer b = backend.allocate(Math.max(1, count) * Float.BYTES);
        owned.add(b);
        return b;
    }

    private void free(DeviceBuffer b) {
        if (b != null) {
            owned.remove(b);
            b.close();
        }
    }

    private void ensureCapacity(int n) {
        if (n <= capacity) return;
        for (DeviceBuffer b : new DeviceBuffer[] {x, xb, q, k, v, att, proj, gate, up, xq, xdq, identity, cos, sin, tokens, slots, positions, blockStart, logitRows, xr, logits}) {
            free(b);
        }
        capacity = Math.max(n, capacity * 2);
        long cap = capacity;
        x = floats(cap * c.dim());
        xb = floats(cap * c.dim());
        q = floats(cap * c.qDim());
        k = floats(cap * c.kvDim());
        v = floats(cap * c.kvDim());
        att = floats(cap * c.qDim());
        proj = floats(cap * c.dim());
        gate = floats(cap * c.ffnDim());
        up = floats(cap * c.ffnDim());
        int widest = Math.max(Math.max(c.dim(), c.qDim()), c.ffnDim());
        xq = backend.allocate(cap * GgmlType.Q8_K.bytesFor(roundUp(widest, 256)));
        owned.add(xq);
        xdq = floats(cap * widest);
        identity = floats(cap);
        int[] ids = new int[capacity];
        for (int i = 0; i < capacity; i++) ids[i] = i;
        quantizedFrom = null;
        cos = floats(cap * c.ropeDims() / 2);
        sin = floats(cap * c.ropeDims() / 2);
        tokens = floats(cap);
        slots = floats(cap);
        positions = floats(cap);
        blockStart = floats(cap);
        logitRows = floats(cap);
        xr = floats(cap * c.dim());
        logits = floats(cap * c.vocabSize());
        long stageBytes = Math.max(cap * c.vocabSize(), cap * c.ropeDims() / 2) * Float.BYTES;
        if (stage == null || stage.byteSize() < stageBytes) stage = arena.allocate(stageBytes, 16);
        cosHost = new float[capacity * c.ropeDims() / 2];
        sinHost = new float[capacity * c.ropeDims() / 2];
        uploadInts(identity, ids, capacity);
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    private void uploadInts(DeviceBuffer dst, int[] values, int count) {
        MemorySegment.copy(values, 0, stage, ValueLayout.JAVA_INT_UNALIGNED, 0, count);
        backend.upload(dst, 0, stage.asSlice(0, (long) Math.max(count, 0) * Integer.BYTES));
    }

    private void uploadFloats(DeviceBuffer dst, float[] values, int count) {
        MemorySegment.copy(values, 0, stage, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, count);
        backend.upload(dst, 0, stage.asSlice(0, (long) count * Float.BYTES));
    }

    @Override
    public float[] forward(Batch batch) {
        int n = batch.size();
        batch.checkRunnable(c.vocabSize());
        int[] rows = batch.logitRows();
        int m = rows.length;
        if (n == 0) return new float[0];
        ensureCapacity(n);
        uploadBatch(batch);

        int dim = c.dim();
        backend.launch(EMBED, Embedding.launch(dim, n), embedding.buffer(), embedding.type().id, tokens, x, dim, n);
        for (int l = 0; l < layers.length; l++) layer(l, layers[l], n);
        if (m == 0) return new float[0];
        uploadInts(logitRows, rows, m);
        backend.launch(COPY_ROWS, CopyRows.launch(dim, m), x, logitRows, xr, dim, m);
        backend.launch(RMS_NORM, RmsNorm.launch(m), xr, outputNorm, xr, dim, c.rmsEps());
        quantizedFrom = null;
        matmul(output, xr, m, logits);
        int vocab = c.vocabSize();
        MemorySegment host = stage.asSlice(0, (long) m * vocab * Float.BYTES);
        backend.download(logits, 0, host);
        float[] out = new float[m * vocab]; // [m, vocab]
        MemorySegment.copy(host, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, out, 0, m * vocab);
        return out;
    }

    /** Token ids, positions, KV slots, rope angles and the block tables (each distinct table once). */
    private void uploadBatch(Batch batch) {
        int n = batch.size();
        int half = c.ropeDims() / 2;
        int[] slotIds = new int[n];
        int[] starts = new int[n];
        int maxContext = 0;
        Map<BlockTable, Integer> offsets = new IdentityHashMap<>();
        int total = 0;
        for (int i = 0; i < n; i++) {
            BlockTable t = batch.tables()[i];
            Integer off = offsets.get(t);
            if (off == null) {
                off = total;
                offsets.put(t, off);
                total += t.blockCount();
            }
            starts[i] = off;
            slotIds[i] = t.slot(batch.positions()[i]);
            maxContext = Math.max(maxContext, batch.positions()[i] + 1);
            rope.angles(batch.positions()[i], cosHost, sinHost, i * half);
        }
        int[] flat = new int[Math.max(total, 1)];
        for (Map.Entry<BlockTable, Integer> e : offsets.entrySet()) {
            BlockTable t = e.getKey();
            for (int b = 0; b < t.blockCount(); b++) flat[e.getValue() + b] = t.block(b);
        }
        if (flat.length > blocksCapacity) {
            free(blocks);
            blocksCapacity = Math.max(flat.length, blocksCapacity * 2);
            blocks = floats(blocksCapacity);
        }
        long scoreBytes = (long) n * c.numHeads() * maxContext * Float.BYTES;
        if (scoreBytes > scoresBytes) {
            free(scores);
            scoresBytes = Math.max(scoreBytes, scoresBytes * 2);
            scores = floats(scoresBytes / Float.BYTES);
        }
        this.maxContext = (int) (scoresBytes / Float.BYTES / ((long) n * c.numHeads()));
        if (flat.length * 4L > stage.byteSize()) stage = arena.allocate(flat.length * 4L, 16);
        uploadInts(tokens, batch.tokens(), n);
        uploadInts(positions, batch.positions(), n);
        uploadInts(slots, slotIds, n);
        uploadInts(blockStart, starts, n);
        uploadInts(blocks, flat, flat.length);
        uploadFloats(cos, cosHost, n * half);
        uploadFloats(sin, sinHost, n * half);
    }

    private int maxContext; // row stride of `scores` for this batch

    private void layer(int l, Layer lw, int n) {
        int dim = c.dim();
        int qDim = c.qDim();
        int kvDim = c.kvDim();
        int hd = c.headDim();
        float eps = c.rmsEps();

        // --- attention ---
        backend.launch(RMS_NORM, RmsNorm.launch(n), x, lw.attnNorm(), xb, dim, eps);
        quantizedFrom = null;
        matmul(lw.wq(), xb, n, q);
        matmul(lw.wk(), xb, n, k);
        matmul(lw.wv(), xb, n, v);
        if (lw.bq() != null) backend.launch(ADD, Add.launch(n * qDim), q, lw.bq(), qDim, n * qDim);
        if (lw.bk() != null) backend.launch(ADD, Add.launch(n * kvDim), k, lw.bk(), kvDim, n * kvDim);
        if (lw.bv() != null) backend.launch(ADD, Add.launch(n * kvDim), v, lw.bv(), kvDim, n * kvDim);
        if (lw.qNorm() != null) backend.launch(RMS_NORM, RmsNorm.launch(n * c.numHeads()), q, lw.qNorm(), q, hd, eps);
        if (lw.kNorm() != null) backend.launch(RMS_NORM, RmsNorm.launch(n * c.numKvHeads()), k, lw.kNorm(), k, hd, eps);
        int neox = c.ropeNeox() ? 1 : 0;
        backend.launch(ROPE, Rope.launch(n, c.numHeads(), c.ropeDims()), q, cos, sin, n, c.numHeads(), hd, c.ropeDims(), neox);
        backend.launch(ROPE, Rope.launch(n, c.numKvHeads(), c.ropeDims()), k, cos, sin, n, c.numKvHeads(), hd, c.ropeDims(), neox);
        backend.launch(KV_STORE, KvStore.launch(kvDim, n), k, v, slots, storage.keyBuffer(l), storage.valueBuffer(l), kvDim, n);
        backend.launch(ATTENTION, Attention.launch(n, c.numHeads()), q, storage.keyBuffer(l), storage.valueBuffer(l), blocks,
                blockStart, positions, scores, att, c.numHeads(), c.numKvHeads(), hd, cache.blockSize(), maxContext, attnScale);
        quantizedFrom = null;
        matmul(lw.wo(), att, n, proj);
        backend.launch(ADD, Add.launch(n * dim), x, proj, n * dim, n * dim);

        // --- feed-forward (SwiGLU) ---
        backend.launch(RMS_NORM, RmsNorm.launch(n), x, lw.ffnNorm(), xb, dim, eps);
        quantizedFrom = null;
        matmul(lw.wGate(), xb, n, gate);
        matmul(lw.wUp(), xb, n, up);
        int ffn = c.ffnDim();
        backend.launch(SILU_MUL, SwiGlu.launch(n * ffn), gate, up, ffn, n * ffn);
        quantizedFrom = null;
        matmul(lw.wDown(), gate, n, proj);
        backend.launch(ADD, Add.launch(n * dim), x, proj, n * dim, n * dim);
    }

    /** out [n, w.rows] = in [n, w.cols] · wᵀ, quantizing {@code in} first as ggml's vec_dot_type of w's type. */
    private void matmul(DeviceWeight w, DeviceBuffer in, int n, DeviceBuffer out) {
        switch (w.type()) {
            case F32 -> {
                DeviceBuffer x = in;
                if (w.activation() != GgmlType.F32) {
                    // A dequantized fallback type: round the activations as ggml's vec_dot_type does (Q8_1 has
                    // Q8_0's quants and scale), then multiply their exact values with the exact weights.
                    GgmlType as = w.activation() == GgmlType.Q8_K ? GgmlType.Q8_K : GgmlType.Q8_0;
                    quantize(in, n, w.cols(), as);
                    backend.launch(EMBED, Embedding.launch(w.cols(), n), xq, as.id, identity, xdq, w.cols(), n);
                    x = xdq;
                }
                backend.launch(MATMUL_F32, MatmulF32.launch(w.rows(), n), w.buffer(), x, out, w.rows(), w.cols(), n);
            }
            case F16 -> backend.launch(MATMUL_F16, MatmulF16.launch(w.rows(), n), w.buffer(), in, out, w.rows(), w.cols(), n);
            case Q8_0, Q4_0 -> {
                quantize(in, n, w.cols(), GgmlType.Q8_0);
                backend.launch(MATMUL_QUANT, MatmulQuant.launch(w.type().id, w.rows(), n), w.buffer(), w.type().id, xq, out, w.rows(), w.cols(), n);
            }
            case Q4_K, Q6_K -> {
                quantize(in, n, w.cols(), GgmlType.Q8_K);
                backend.launch(MATMUL_QUANT, MatmulQuant.launch(w.type().id, w.rows(), n), w.buffer(), w.type().id, xq, out, w.rows(), w.cols(), n);
            }
            default -> throw new IllegalStateException("no device matmul for " + w.type());
        }
    }

    private void quantize(DeviceBuffer in, int n, int cols, GgmlType as) {
        if (quantizedFrom == in && quantizedAs == as) return;
        int blocks = n * cols / as.blockSize;
        if (as == GgmlType.Q8_0) backend.launch(QUANTIZE_Q8_0, QuantizeQ8_0.launch(blocks), in, xq, blocks);
        else backend.launch(QUANTIZE_Q8_K, QuantizeQ8_K.launch(blocks), in, xq, blocks);
        quantizedFrom = in;
        quantizedAs = as;
    }

    @Override
    public void close() {
        embedding.close();
        if (output != embedding) output.close();
        for (Layer lw : layers) {
            for (DeviceWeight w : new DeviceWeight[] {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.wGate(), lw.wUp(), lw.wDown()}) w.close();
        }
        for (DeviceBuffer b : owned) b.close();
        owned.clear();
        arena.close();
    }
}
