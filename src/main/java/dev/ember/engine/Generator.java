package dev.ember.engine;

import dev.ember.compute.cpu.WorkerPool;
import dev.ember.model.Batch;
import dev.ember.model.BlockTable;
import dev.ember.model.Model;
import dev.ember.model.ModelConfig;
import dev.ember.model.ComputeTarget;
import dev.ember.model.Forward;
import dev.ember.model.KvCache;
import dev.ember.sampling.Sampler;
import dev.ember.sampling.SamplingParams;

import java.util.function.IntConsumer;

/**
 * Runs one sequence at a time through a model: whole-prompt prefill in one batch, then token-by-token
 * decode with a sampler. The command-line tools use it; the server's scheduler drives
 * {@link Forward} pass with many sequences per batch instead.
 */
public final class Generator implements AutoCloseable {
    /** llama.cpp's default context when the model's own is larger. */
    public static final int DEFAULT_MAX_CONTEXT = 4096;
    private static final int BLOCK_SIZE = 16;

    private final Model model;
    private final int contextSize;
    private final WorkerPool pool;
    private final ComputeTarget target;
    private final Forward runner;
    private final KvCache cache;

    /**
     * @param contextSize tokens of KV cache (prompt + generated); 0 = the model's context, at most {@value DEFAULT_MAX_CONTEXT}
     * @param threads     worker lanes; 0 = {@link WorkerPool#defaultThreads()}
     */
    public Generator(Model model, int contextSize, int threads) {
        this(model, contextSize, threads, ComputeTarget.CPU);
    }

    /** On a compute backend: {@code cpu}, {@code java}, {@code opencl} or {@code cuda}. */
    public Generator(Model model, int contextSize, int threads, String backend) {
        ModelConfig c = model.config();
        if (contextSize < 0) throw new IllegalArgumentException("context size must be >= 0, got " + contextSize);
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        this.model = model;
        this.contextSize = contextSize == 0 ? Math.min(c.contextLength(), DEFAULT_MAX_CONTEXT) : contextSize;
        this.target = ComputeTarget.open(backend); // before the pool: an unavailable backend must not leak worker threads
        this.pool = new WorkerPool(threads == 0 ? WorkerPool.defaultThreads() : threads);
        try {
            this.cache = target.kvStorage(c, BLOCK_SIZE, (this.contextSize + BLOCK_SIZE - 1) / BLOCK_SIZE);
            this.runner = target.forward(c, model.weights(), cache, cache, pool);
        } catch (RuntimeException e) {
            target.close();
            pool.close();
            throw e;
        }
    }

    /** Null, or a warning about where the forward pass runs ({@link ComputeTarget#warning}). */
    public String computeWarning() {
        return target.warning();
    }

    public Model model() {
        return model;
    }

    public int contextSize() {
        return contextSize;
    }

    /** Logits of a fresh sequence's prompt: [positions, vocab] for every position, or [1, vocab] for the last. */
    public float[] promptLogits(int[] tokens, boolean allPositions) {
        checkPrompt(tokens);
        BlockTable table = new BlockTable(cache);
        try {
            table.reserve(tokens.length);
            return runner.forward(Batch.ofSequence(tokens, 0, table, allPositions, Batch.exact(0, tokens.length)));
        } finally {
            table.release();
        }
    }

    /**
     * Logits of a fresh sequence's prompt fed one token per forward pass as decode steps (the generated-token kernels):
     * [positions, vocab].
     */
    public float[] decodeLogits(int[] tokens) {
        checkPrompt(tokens);
        int vocab = model.config().vocabSize();
        float[] all = new float[tokens.length * vocab]; // [positions, vocab]
        BlockTable table = new BlockTable(cache);
        try {
            table.reserve(tokens.length);
            for (int p = 0; p < tokens.length; p++) {
                float[] l = runner.forward(Batch.ofSequence(new int[] {tokens[p]}, p, table, false, true));
                System.arraycopy(l, 0, all, p * vocab, vocab);
            }
            return all;
        } finally {
            table.release();
        }
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt}, calling {@code onToken} for each as
     * it is chosen. Stops at an end-of-generation token unless {@code ignoreEos}, and when the context is full.
     */
    public GenerationResult generate(int[] prompt, SamplingParams params, int maxTokens, boolean ignoreEos, IntConsumer onToken) {
        checkPrompt(prompt);
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        int vocab = model.config().vocabSize();
        int budget = Math.min(maxTokens, contextSize - prompt.length);
        int[] history = new int[prompt.length + budget];
        System.arraycopy(prompt, 0, history, 0, prompt.length);
        int length = prompt.length;
        Sampler sampler = new Sampler(params, vocab);
        BlockTable table = new BlockTable(cache);
        String finish = "length";
        try {
            table.reserve(prompt.length + Math.max(0, budget - 1));
            float[] logits = runner.forward(Batch.ofSequence(prompt, 0, table, false, Batch.exact(0, prompt.length)));
            int[] one = new int[1];
            for (int i = 0; i < budget; i++) {
                int token = sampler.sample(logits, history, length);
                history[length++] = token;
                onToken.accept(token);
                if (!ignoreEos && model.tokenizer().isEog(token)) {
                    finish = "stop";
                    break;
                }
                if (i + 1 == budget) break;
                one[0] = token;
                logits = runner.forward(Batch.ofSequence(one, length - 1, table, false, true));
            }
        } finally {
            table.release();
        }
        int[] generated = new int[length - prompt.length];
        System.arraycopy(history, prompt.length, generated, 0, generated.length);
        return new GenerationResult(prompt, generated, finish);
    }

    private void checkPrompt(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        if (tokens.length > contextSize) {
            throw new IllegalArgumentException("the prompt has " + tokens.length + " tokens, more than the context of " + contextSize);
        }
        int vocab = model.config().vocabSize();
        for (int t : tokens) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
    }

    @Override
    public void close() {
        runner.close();
        target.close();
        pool.close();
    }
}
