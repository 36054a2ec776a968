package dev.ember.engine;

import dev.ember.compute.cpu.WorkerPool;
import dev.ember.model.Batch;
import dev.ember.model.BlockTable;
import dev.ember.model.ComputeTarget;
import dev.ember.model.Forward;
import dev.ember.model.KvCache;
import dev.ember.model.Model;
import dev.ember.model.ModelConfig;
import dev.ember.sampling.Logprobs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The serving engine: requests are submitted from any thread and stream {@link TokenEvent}s back; one
 * engine thread runs the {@link Scheduler}'s batches through the {@link Forward} pass of its compute target, so every step reads
 * the weights once for all running sequences. KV memory is a {@link BlockManager} pool: prompts that
 * start like earlier ones reuse their cached blocks, and cancelling a stream (unsubscribing) ends its
 * sequence at the next step and gives its blocks back.
 *
 * <p><b>n &gt; 1.</b> There is no separate API for parallel sampling: the server submits n requests with
 * the same prompt, and the engine groups them itself. A new sequence whose prompt equals that of one
 * that has not sampled yet follows it instead of queueing: when the leader's prompt is computed, the
 * followers fork its block table (every block shared, the partial last one copied on the first write)
 * and sample their own first tokens from the same logits. This gets vLLM's sharing for n siblings and
 * also for identical prompts from different clients arriving together, with no change to the server;
 * a follower that arrives after its twin has sampled falls back to the prefix cache, which covers all
 * of the prompt but the partial block and the last token.
 */
public final class Engine implements AutoCloseable {
    /**
     * @param contextSize         most tokens (prompt + generated) of one sequence
     * @param kvCacheTokens       KV cache pool size in tokens, shared by all sequences (used when kvCacheMemoryBytes is 0)
     * @param maxNumSeqs          most sequences in one step
     * @param maxNumBatchedTokens most tokens in one step (prefill chunks are cut to fit)
     * @param threads             CPU worker lanes
     * @param blockSize           tokens per KV block
     * @param kvCacheMemoryBytes  KV cache pool size in bytes (F32 K and V of every layer); 0 = size by kvCacheTokens
     * @param enablePrefixCaching share cached prompt blocks between requests and group identical prompts
     * @param backend             where the forward pass runs: {@code cpu}, {@code java}, {@code opencl} or {@code cuda}
     */
    public record Config(int contextSize, int kvCacheTokens, int maxNumSeqs, int maxNumBatchedTokens, int threads, int blockSize,
                         long kvCacheMemoryBytes, boolean enablePrefixCaching, String backend) {
        public Config {
            if (backend == null || backend.isEmpty()) backend = ComputeTarget.CPU;
            if (contextSize < 1) throw new IllegalArgumentException("context size must be >= 1, got " + contextSize);
            if (kvCacheMemoryBytes < 0) throw new IllegalArgumentException("KV cache memory must be >= 0 bytes, got " + kvCacheMemoryBytes);
            if (kvCacheMemoryBytes == 0 && kvCacheTokens < 1) {
                throw new IllegalArgumentException("the KV cache must hold at least one token, got " + kvCacheTokens);
            }
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        }

        /** On the CPU. */
        public Config(int contextSize, int kvCacheTokens, int maxNumSeqs, int maxNumBatchedTokens, int threads, int blockSize,
                      long kvCacheMemoryBytes, boolean enablePrefixCaching) {
            this(contextSize, kvCacheTokens, maxNumSeqs, maxNumBatchedTokens, threads, blockSize, kvCacheMemoryBytes, enablePrefixCaching, ComputeTarget.CPU);
        }

        /** A pool sized in tokens, prefix caching on. */
        public Config(int contextSize, int kvCacheTokens, int maxNumSeqs, int maxNumBatchedTokens, int threads, int blockSize) {
            this(contextSize, kvCacheTokens, maxNumSeqs, maxNumBatchedTokens, threads, blockSize, 0, true);
        }

        /** This config with the scheduler limits set; kvCacheTokens 0 keeps the default pool. */
        public Config withLimits(int maxNumSeqs, int maxNumBatchedTokens, int kvCacheTokens) {
            return new Config(contextSize, kvCacheTokens > 0 ? kvCacheTokens : this.kvCacheTokens, maxNumSeqs,
                    maxNumBatchedTokens, threads, blockSize, kvCacheMemoryBytes, enablePrefixCaching, backend);
        }

        /** This config with the pool sized in bytes instead of tokens (0 = back to tokens). */
        public Config withKvCacheMemory(long bytes) {
            return new Config(contextSize, kvCacheTokens, maxNumSeqs, maxNumBatchedTokens, threads, blockSize, bytes, enablePrefixCaching, backend);
        }

        public Config withPrefixCaching(boolean enable) {
            return new Config(contextSize, kvCacheTokens, maxNumSeqs, maxNumBatchedTokens, threads, blockSize, kvCacheMemoryBytes, enable, backend);
        }

        /** This config on another compute backend. */
        public Config withBackend(String name) {
            return new Config(contextSize, kvCacheTokens, maxNumSeqs, maxNumBatchedTokens, threads, blockSize, kvCacheMemoryBytes, enablePrefixCaching, name);
        }

        /** Defaults: the model's context (at most 4096), room for 4 full contexts, 64 sequences, 512 tokens a step, prefix caching. */
        public static Config defaults(ModelConfig m, int contextSize, int threads) {
            int ctx = contextSize > 0 ? contextSize : Math.min(m.contextLength(), Generator.DEFAULT_MAX_CONTEXT);
            return new Config(ctx, 4 * ctx, 64, 512, threads > 0 ? threads : WorkerPool.defaultThreads(), 16);
        }

        /** Blocks in the pool for a model with these KV rows. */
        public int numBlocks(ModelConfig m) {
            long blocks = kvCacheMemoryBytes > 0
                    ? BlockManager.blocksForMemory(kvCacheMemoryBytes, m.numLayers(), m.kvDim(), blockSize)
                    : ((long) kvCacheTokens + blockSize - 1) / blockSize;
            if (blocks < 1) {
                throw new IllegalArgumentException(kvCacheMemoryBytes + " bytes of KV cache hold no block of " + blockSize + " tokens ("
                        + BlockManager.bytesPerBlock(m.numLayers(), m.kvDim(), blockSize) + " bytes for this model)");
            }
            return (int) blocks;
        }

        /**
         * Parses a memory size as a command line gives it: {@code 2G}, {@code 512MiB}, {@code 1.5g},
         * {@code 1073741824} (bytes; K, M, G, T are powers of 1024), or {@code 40%} for that share of
         * the heap that is free now (max heap minus what is in use).
         */
        public static long parseMemory(String text) {
            String t = text.strip().toUpperCase(Locale.ROOT);
            try {
                if (t.endsWith("%")) {
                    double share = Double.parseDouble(t.substring(0, t.length() - 1)) / 100;
                    if (!(share > 0 && share <= 1)) throw new IllegalArgumentException("a share of the free heap must be in (0%, 100%], got " + text);
                    Runtime r = Runtime.getRuntime();
                    return (long) (share * (r.maxMemory() - (r.totalMemory() - r.freeMemory())));
                }
                t = t.replaceFirst("I?B$", "");
                int shift = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
                    case 'K' -> 10;
                    case 'M' -> 20;
                    case 'G' -> 30;
                    case 'T' -> 40;
                    default -> 0;
                };
                if (shift > 0) t = t.substring(0, t.length() - 1);
                double v = Double.parseDouble(t);
                if (!(v >= 0) || Double.isInfinite(v)) throw new NumberFormatException();
                return (long) (v * (1L << shift));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a memory size: '" + text + "' (examples: 2G, 512MiB, 40%)");
            }
        }
    }

    private final Model model;
    private final Config config;
    private final WorkerPool pool;
    private final BlockManager blocks;
    private final ComputeTarget target;
    private final Forward runner;
    private final Scheduler scheduler;
    private final ConcurrentLinkedQueue<Sequence> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread loop;
    private volatile EngineObserver observer = new EngineObserver() {};
    private volatile boolean closed;
    private volatile int runningCount;
    /** The largest {@link #runningCount} seen so far. */
    private volatile int peakRunning;
    private volatile int waitingCount;

    public Engine(Model model, Config config) {
        this(model, config, BlockHasher.sha256());
    }

    /** An engine with its own block hash function (tests inject weak ones to force collisions). */
    Engine(Model model, Config config, BlockHasher hasher) {
        this.model = model;
        this.config = config;
        ModelConfig c = model.config();
        int numBlocks = config.numBlocks(c);
        this.target = ComputeTarget.open(config.backend()); // before the pool: an unavailable backend must not leak worker threads
        this.pool = new WorkerPool(config.threads());
        try {
            KvCache storage = target.kvStorage(c, config.blockSize(), numBlocks);
            this.blocks = new BlockManager(storage, hasher, config.enablePrefixCaching());
            this.runner = target.forward(c, model.weights(), blocks, storage, pool);
        } catch (RuntimeException e) {
            target.close();
            pool.close();
            throw e;
        }
        this.scheduler = new Scheduler(config.maxNumSeqs(), config.maxNumBatchedTokens(), blocks);
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

    /** Null, or a warning about where this engine's forward pass runs ({@link ComputeTarget#warning}). */
    public String computeWarning() {
        return target.warning();
    }

    /** Sequences in the current step's running set. */
    public int running() {
        return runningCount;
    }

    /** The most sequences this engine has run in one step so far. */
    public int peakRunning() {
        return peakRunning;
    }

    /** Sequences queued, not yet admitted (followers of a same-prompt sequence included). */
    public int waiting() {
        return waitingCount + incoming.size();
    }

    /** KV blocks held by sequences, out of {@link #totalBlocks()}; cached blocks nobody holds count as free. */
    public int usedBlocks() {
        return blocks.usedBlocks();
    }

    public int totalBlocks() {
        return blocks.numBlocks();
    }

    /** Sequences preempted (blocks freed, to be recomputed) so far. */
    public long preemptions() {
        return scheduler.preemptions;
    }

    /** Prompt (and resumed) tokens looked up in the prefix cache at admission. */
    public long prefixCacheQueries() {
        return blocks.prefixCacheQueries();
    }

    /** Of {@link #prefixCacheQueries()}, tokens whose K/V were found cached and not recomputed. */
    public long prefixCacheHits() {
        return blocks.prefixCacheHits();
    }

    /** Where per-step and per-request timings go; replaces the previous observer. */
    public void setObserver(EngineObserver observer) {
        this.observer = observer == null ? new EngineObserver() {} : observer;
    }

    BlockManager blocks() {
        return blocks;
    }

    /**
     * Starts a generation. The prompt must leave room for at least one token in the context, and the
     * request must fit the whole KV pool on its own; the stream ends with an event whose finish reason
     * is set, or fails if the engine fails.
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
        checkFitsThePool(request);
        if (closed) throw new IllegalStateException("the engine is shut down");
        return Multi.createFrom().<TokenEvent>emitter(em -> {
            Sequence s = new Sequence(ids.incrementAndGet(), request, blocks, vocab, model.tokenizer(), new EventSink() {
                @Override
                public void event(TokenEvent e) {
                    em.emit(e);
                    if (e.isLast()) em.complete();
                }

                @Override
                public void fail(Throwable t) {
                    // A cancelled subscriber (client gone, or a sibling choice failed) has no one to tell.
                    if (!em.isCancelled()) em.fail(t);
                }
            });
            em.onTermination(() -> s.cancelled = true);
            incoming.add(s);
            LockSupport.unpark(loop);
        }, BackPressureStrategy.BUFFER);
    }

    /**
     * A running sequence never holds K/V for its last token (it is sampled, then the sequence ends), so
     * it needs at most min(prompt + max_tokens, context) - 1 positions. If even the whole pool cannot
     * hold that, preempting everyone else would not help: refuse now rather than fail mid-stream.
     */
    private void checkFitsThePool(GenerationRequest request) {
        int p = request.promptTokens().length;
        long tokens = Math.min((long) p + request.maxTokens(), config.contextSize()) - 1;
        long needed = (tokens + config.blockSize() - 1) / config.blockSize();
        if (needed > blocks.numBlocks()) {
            throw new IllegalArgumentException("the prompt (" + p + " tokens) plus max_tokens (" + request.maxTokens() + ") needs up to "
                    + tokens + " tokens of KV cache (" + needed + " blocks of " + config.blockSize() + "), but the whole KV cache holds "
                    + (long) blocks.numBlocks() * config.blockSize() + " tokens (" + blocks.numBlocks() + " blocks); lower max_tokens");
        }
    }

    private void run() {
        while (!closed) {
            admitIncoming();
            dropCancelled();
            runningCount = scheduler.running.size();
            if (runningCount > peakRunning) peakRunning = runningCount;
            waitingCount = scheduler.waiting.size() + followerCount();
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

    private int followerCount() {
        int n = 0;
        for (Sequence s : scheduler.running) if (s.followers != null) n += s.followers.size();
        for (Sequence s : scheduler.waiting) if (s.followers != null) n += s.followers.size();
        return n;
    }

    private void admitIncoming() {
        for (Sequence s; (s = incoming.poll()) != null; ) {
            if (s.request.maxTokens() == 0) {
                s.emitEmpty();
                continue;
            }
            Sequence leader = blocks.prefixCaching() ? leaderFor(s) : null;
            if (leader != null) s.follow(leader);
            else scheduler.waiting.addLast(s);
        }
    }

    /** A queued or running sequence with the same prompt that has not sampled yet, or null. */
    private Sequence leaderFor(Sequence s) {
        int[] p = s.request.promptTokens();
        for (Sequence l : scheduler.running) {
            if (l.canLead() && l.promptLength() == p.length && Arrays.equals(l.request.promptTokens(), p)) return l;
        }
        for (Sequence l : scheduler.waiting) {
            if (l.canLead() && l.promptLength() == p.length && Arrays.equals(l.request.promptTokens(), p)) return l;
        }
        return null;
    }

    /**
     * Removes cancelled sequences and gives back their blocks. A cancelled leader hands its followers to
     * the first live one, which takes its place in the queue (or the queue's front, if it was running)
     * and computes the prompt itself, mostly from the prefix cache.
     */
    private void dropCancelled() {
        List<Sequence> heirs = new ArrayList<>();
        for (Iterator<Sequence> it = scheduler.running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (!s.cancelled) continue;
            it.remove();
            s.table.release();
            Sequence heir = heir(s);
            if (heir != null) heirs.add(heir);
        }
        for (ListIterator<Sequence> it = scheduler.waiting.listIterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (!s.cancelled) continue;
            s.table.release();
            Sequence heir = heir(s);
            if (heir != null) it.set(heir);
            else it.remove();
        }
        for (int i = heirs.size() - 1; i >= 0; i--) scheduler.waiting.addFirst(heirs.get(i));
        for (Sequence s : scheduler.running) if (s.followers != null) s.followers.removeIf(f -> f.cancelled);
        for (Sequence s : scheduler.waiting) if (s.followers != null) s.followers.removeIf(f -> f.cancelled);
    }

    /** The follower that leads the group of a leader that is gone, holding the rest; null when none is left. */
    private static Sequence heir(Sequence gone) {
        List<Sequence> fs = gone.followers;
        gone.followers = null;
        if (fs == null) return null;
        fs.removeIf(f -> f.cancelled);
        if (fs.isEmpty()) return null;
        Sequence heir = fs.removeFirst();
        heir.followers = fs.isEmpty() ? null : fs;
        return heir;
    }

    private void step(List<Scheduler.Slice> plan) {
        int n = 0;
        for (Scheduler.Slice sl : plan) n += sl.count();
        int[] tokens = new int[n];
        int[] positions = new int[n];
        BlockTable[] tables = new BlockTable[n];
        boolean[] exact = new boolean[n];
        List<Integer> rows = new ArrayList<>();
        List<Sequence> sampled = new ArrayList<>();
        int i = 0;
        for (Scheduler.Slice sl : plan) {
            Sequence s = sl.seq();
            int prompt = s.promptLength();
            for (int k = 0; k < sl.count(); k++, i++) {
                tokens[i] = s.tokens[sl.start() + k];
                positions[i] = sl.start() + k;
                tables[i] = s.table;
                exact[i] = Batch.exact(positions[i], prompt);   // by the token's role, never by the batch
            }
            if (sl.start() + sl.count() == s.numTokens) {
                rows.add(i - 1);
                sampled.add(s);
            }
        }
        int[] logitRows = rows.stream().mapToInt(Integer::intValue).toArray();
        float[] logits = runner.forward(new Batch(tokens, positions, tables, logitRows, exact));
        observer.iteration(n);
        for (Scheduler.Slice sl : plan) {
            Sequence s = sl.seq();
            s.numComputed += sl.count();
            s.numCachedBlocks = blocks.cacheFullBlocks(s.table, s.tokens, s.numComputed, s.hashes, s.numCachedBlocks);
        }
        int vocab = model.config().vocabSize();
        float[] row = new float[vocab];
        for (int r = 0; r < sampled.size(); r++) {
            Sequence s = sampled.get(r);
            if (s.cancelled) continue;
            System.arraycopy(logits, r * vocab, row, 0, vocab);
            if (s.generated == 0 && s.followers != null) fork(s, row);
            emitNext(s, row);
        }
    }

    /**
     * The leader's prompt is computed: each follower shares its blocks, starts from the same computed
     * position and samples its first token from the same logits. Followers beyond the sequence cap go
     * back to the front of the queue on their own (the prefix cache will still serve their full blocks).
     */
    private void fork(Sequence leader, float[] row) {
        List<Sequence> fs = leader.followers;
        leader.followers = null;
        List<Sequence> seatless = new ArrayList<>();
        for (Sequence f : fs) {
            if (f.cancelled) continue;
            if (scheduler.running.size() >= scheduler.maxNumSeqs()) {
                seatless.add(f);
                continue;
            }
            blocks.fork(leader.table, f.table);
            f.numComputed = leader.numComputed;
            f.numCachedBlocks = leader.numCachedBlocks;
            f.firstScheduledNanos = Math.max(f.arrivalNanos, leader.firstScheduledNanos);
            scheduler.running.add(f);
            emitNext(f, row);
        }
        for (int i = seatless.size() - 1; i >= 0; i--) scheduler.waiting.addFirst(seatless.get(i));
    }

    /** Samples the next token of {@code s} from its logits row and streams it; ends the sequence when it is done. */
    private void emitNext(Sequence s, float[] row) {
        int token = s.sampler.sample(row, s.tokens, s.numTokens);
        Logprobs lp = s.request.logprobs() >= 0 ? Logprobs.of(row, token, s.request.logprobs()) : null;
        long now = System.nanoTime();
        if (s.generated == 0) s.firstTokenNanos = now;
        s.append(token);
        boolean eog = !s.request.ignoreEos() && model.tokenizer().isEog(token);
        boolean atLimit = s.generated >= s.request.maxTokens() || s.numTokens >= config.contextSize();
        TokenEvent event = s.event(token, lp, eog, atLimit);
        if (event.isLast()) {
            // Blocks go back before the client hears the end, so a finished stream never holds KV memory.
            scheduler.running.remove(s);
            s.table.release();
            s.finished = true;
            observer.requestFinished(s.firstScheduledNanos - s.arrivalNanos, s.firstTokenNanos - s.firstScheduledNanos,
                    now - s.firstTokenNanos);
        }
        s.sink.event(event);
    }

    private void finish(Sequence s, Throwable cause) {
        scheduler.running.remove(s);
        scheduler.waiting.remove(s);
        s.table.release();
        if (!s.finished) {
            s.finished = true;
            s.sink.fail(cause);
        }
        List<Sequence> fs = s.followers;
        s.followers = null;
        if (fs != null) for (Sequence f : fs) finish(f, cause);
    }

    /** True once {@link #close()} has been called: no new work, the KV pool released. */
    public boolean isClosed() {
        return closed;
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
        if (!loop.isAlive()) { // device memory is freed only once no step can still be using it
            runner.close();
            target.close();
        }
        pool.close();
    }
}
