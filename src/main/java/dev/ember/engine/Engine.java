package dev.ember.engine;

import dev.ember.compute.cpu.WorkerPool;
import dev.ember.model.Batch;
import dev.ember.model.BlockTable;
import dev.ember.model.F32KvCache;
import dev.ember.model.Model;
import dev.ember.model.ModelConfig;
import dev.ember.model.ModelRunner;
import dev.ember.sampling.Logprobs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The serving engine: requests are submitted from any thread and stream {@link TokenEvent}s back; one
 * engine thread runs the {@link Scheduler}'s batches through the {@link ModelRunner}, so every step reads
 * the weights once for all running sequences. Cancelling a stream (unsubscribing) ends its sequence at
 * the next step and frees its KV blocks.
 */
public final class Engine implements AutoCloseable {
    /**
     * @param contextSize         most tokens (prompt + generated) of one sequence
     * @param kvCacheTokens       KV cache pool size in tokens, shared by all sequences
     * @param maxNumSeqs          most sequences in one step
     * @param maxNumBatchedTokens most tokens in one step (prefill chunks are cut to fit)
     * @param threads             CPU worker lanes
     * @param blockSize           tokens per KV block
     */
    public record Config(int contextSize, int kvCacheTokens, int maxNumSeqs, int maxNumBatchedTokens, int threads, int blockSize) {
        public Config {
            if (contextSize < 1) throw new IllegalArgumentException("context size must be >= 1, got " + contextSize);
            if (kvCacheTokens < contextSize) {
                throw new IllegalArgumentException("the KV cache (" + kvCacheTokens + " tokens) must hold at least one full context (" + contextSize + ")");
            }
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        }

        /** This config with the scheduler limits set; kvCacheTokens 0 keeps the default pool. */
        public Config withLimits(int maxNumSeqs, int maxNumBatchedTokens, int kvCacheTokens) {
            return new Config(contextSize, kvCacheTokens > 0 ? kvCacheTokens : this.kvCacheTokens, maxNumSeqs,
                    maxNumBatchedTokens, threads, blockSize);
        }

        /** Defaults: the model's context (at most 4096), room for 4 full contexts, 64 sequences, 512 tokens a step. */
        public static Config defaults(ModelConfig m, int contextSize, int threads) {
            int ctx = contextSize > 0 ? contextSize : Math.min(m.contextLength(), Generator.DEFAULT_MAX_CONTEXT);
            return new Config(ctx, 4 * ctx, 64, 512, threads > 0 ? threads : WorkerPool.defaultThreads(), 16);
        }
    }

    private final Model model;
    private final Config config;
    private final WorkerPool pool;
    private final F32KvCache cache;
    private final ModelRunner runner;
    private final Scheduler scheduler;
    private final ConcurrentLinkedQueue<Sequence> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread loop;
    private volatile boolean closed;
    private volatile int runningCount;
    private volatile int waitingCount;

    public Engine(Model model, Config config) {
        this.model = model;
        this.config = config;
        ModelConfig c = model.config();
        this.pool = new WorkerPool(config.threads());
        this.cache = F32KvCache.forTokens(c.numLayers(), c.kvDim(), config.blockSize(), config.kvCacheTokens());
        this.runner = new ModelRunner(c, model.weights(), cache, pool);
        this.scheduler = new Scheduler(config.maxNumSeqs(), config.maxNumBatchedTokens());
        this.loop = new Thread(this::run, "ember-engine");
        this.loop.setDaemon(true);
        this.loop.start();
    }

    public Model model() {
        return model;
    }

    public Config config() {
        return config;
    }

    /** Sequences in the current step's running set. */
    public int running() {
        return runningCount;
    }

    /** Sequences queued, not yet admitted. */
    public int waiting() {
        return waitingCount + incoming.size();
    }

    /** KV blocks in use, out of {@link #totalBlocks()}. */
    public int usedBlocks() {
        return cache.numBlocks() - cache.freeBlocks();
    }

    public int totalBlocks() {
        return cache.numBlocks();
    }

    public long preemptions() {
        return scheduler.preemptions;
    }

    /**
     * Starts a generation. The prompt must leave room for at least one token in the context; the
     * stream ends with an event whose finish reason is set, or fails if the engine fails.
     */
    public Multi<TokenEvent> submit(GenerationRequest request) {
        int promptLength = request.promptTokens().length;
        if (promptLength >= config.contextSize()) {
            throw new IllegalArgumentException("the prompt has " + promptLength + " tokens, but the context holds "
                    + config.contextSize() + " (prompt plus at least one generated token)");
        }
        int vocab = model.config().vocabSize();
        for (int t : request.promptTokens()) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
        if (closed) throw new IllegalStateException("the engine is shut down");
        return Multi.createFrom().<TokenEvent>emitter(em -> {
            Sequence s = new Sequence(ids.incrementAndGet(), request, cache, vocab, model.tokenizer(), new EventSink() {
                @Override
                public void event(TokenEvent e) {
                    em.emit(e);
                    if (e.isLast()) em.complete();
                }

                @Override
                public void fail(Throwable t) {
                    em.fail(t);
                }
            });
            em.onTermination(() -> s.cancelled = true);
            incoming.add(s);
            LockSupport.unpark(loop);
        }, BackPressureStrategy.BUFFER);
    }

    private void run() {
        while (!closed) {
            admitIncoming();
            dropCancelled();
            runningCount = scheduler.running.size();
            waitingCount = scheduler.waiting.size();
            if (scheduler.running.isEmpty() && scheduler.waiting.isEmpty()) {
                LockSupport.parkNanos(50_000_000L);
                continue;
            }
            List<Scheduler.Slice> plan = scheduler.schedule();
            if (plan.isEmpty()) {
                LockSupport.parkNanos(1_000_000L);
                continue;
            }
            try {
                step(plan);
            } catch (RuntimeException | Error e) {
                for (Scheduler.Slice sl : plan) finish(sl.seq(), e);
            }
        }
        List<Sequence> all = new ArrayList<>(scheduler.running);
        all.addAll(scheduler.waiting);
        all.addAll(incoming);
        for (Sequence s : all) finish(s, new IllegalStateException("the engine is shut down"));
    }

    private void admitIncoming() {
        for (Sequence s; (s = incoming.poll()) != null; ) {
            if (s.request.maxTokens() == 0) {
                s.emitEmpty();
                continue;
            }
            scheduler.waiting.addLast(s);
        }
    }

    private void dropCancelled() {
        scheduler.running.removeIf(s -> {
            if (s.cancelled) s.table.release();
            return s.cancelled;
        });
        scheduler.waiting.removeIf(s -> {
            if (s.cancelled) s.table.release();
            return s.cancelled;
        });
    }

    private void step(List<Scheduler.Slice> plan) {
        int n = 0;
        for (Scheduler.Slice sl : plan) n += sl.count();
        int[] tokens = new int[n];
        int[] positions = new int[n];
        BlockTable[] tables = new BlockTable[n];
        List<Integer> rows = new ArrayList<>();
        List<Sequence> sampled = new ArrayList<>();
        int i = 0;
        for (Scheduler.Slice sl : plan) {
            Sequence s = sl.seq();
            for (int k = 0; k < sl.count(); k++, i++) {
                tokens[i] = s.tokens[sl.start() + k];
                positions[i] = sl.start() + k;
                tables[i] = s.table;
            }
            if (sl.start() + sl.count() == s.numTokens) {
                rows.add(i - 1);
                sampled.add(s);
            }
        }
        int[] logitRows = rows.stream().mapToInt(Integer::intValue).toArray();
        float[] logits = runner.forward(new Batch(tokens, positions, tables, logitRows));
        for (Scheduler.Slice sl : plan) sl.seq().numComputed += sl.count();
        int vocab = model.config().vocabSize();
        float[] row = new float[vocab];
        for (int r = 0; r < sampled.size(); r++) {
            Sequence s = sampled.get(r);
            if (s.cancelled) continue;
            System.arraycopy(logits, r * vocab, row, 0, vocab);
            int token = s.sampler.sample(row, s.tokens, s.numTokens);
            Logprobs lp = s.request.logprobs() >= 0 ? Logprobs.of(row, token, s.request.logprobs()) : null;
            if (s.generated == 0) s.firstTokenNanos = System.nanoTime();
            s.append(token);
            boolean eog = !s.request.ignoreEos() && model.tokenizer().isEog(token);
            boolean atLimit = s.generated >= s.request.maxTokens() || s.numTokens >= config.contextSize();
            TokenEvent event = s.event(token, lp, eog, atLimit);
            if (event.isLast()) {
                // Blocks go back before the client hears the end, so a finished stream never holds KV memory.
                scheduler.running.remove(s);
                s.table.release();
                s.finished = true;
            }
            s.sink.event(event);
        }
    }

    private void finish(Sequence s, Throwable cause) {
        scheduler.running.remove(s);
        scheduler.waiting.remove(s);
        s.table.release();
        if (!s.finished) {
            s.finished = true;
            s.sink.fail(cause);
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(loop);
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }
}
