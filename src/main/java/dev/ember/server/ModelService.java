package dev.ember.server;

import dev.ember.chat.ChatTemplate;
import dev.ember.engine.Engine;
import dev.ember.engine.GenerationRequest;
import dev.ember.engine.TokenEvent;
import dev.ember.hub.HubReference;
import dev.ember.hub.HubSettings;
import dev.ember.hub.ModelLocator;
import dev.ember.model.Model;
import dev.ember.tokenizer.Tokenizer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The one served model: owns the {@link Model} and its {@link Engine}, and is the only way the API
 * surfaces reach the engine.
 *
 * <p>Life cycle, for scale-to-zero platforms:
 * <ul>
 * <li>Loading runs in the background (thread {@code ember-loader}); the HTTP port opens at once. A
 * request takes a {@link Lease} ({@link #enter()}), which waits for the model to be loaded (up to
 * {@code ember.load-timeout}) instead of failing. Readiness ({@link #ready()}) is UP once the first
 * load has finished: from then on a request can be answered.</li>
 * <li>Idle unload ({@code ember.idle-unload-seconds} &gt; 0): with no lease open for that long the
 * engine (its KV cache) and the model (its mapped file) are closed. The next request reloads them
 * and waits for it. Readiness stays UP while unloaded: the server can still answer every request
 * (it reloads on demand), and reporting DOWN would make a platform stop routing to it or restart it,
 * which defeats the point of keeping the process up cheaply.</li>
 * <li>Drain on SIGTERM: Quarkus fires {@link ShutdownDelayInitiatedEvent} first (pre-shutdown, the
 * HTTP server still serving; see application.properties). From then on new requests are refused
 * (REST 503 + Retry-After, gRPC UNAVAILABLE) while open leases (in-flight streams) may finish for up
 * to {@code ember.drain-timeout}; those still running then are ended with a final error event.</li>
 * </ul>
 * Admission control also lives here: beyond {@code ember.max-queue} outstanding requests new ones are
 * refused with {@link OverloadedException} (HTTP 429 / RESOURCE_EXHAUSTED).
 */
@ApplicationScoped
public class ModelService {
    private static final Logger LOG = Logger.getLogger(ModelService.class);
    /** Seconds a refused client is told to wait (Retry-After) while the server drains or loads. */
    public static final int RETRY_AFTER_SECONDS = 2;

    private record Loaded(Model model, Engine engine) {}

    private final EmberConfig config;
    private final ServerMetrics metrics;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Object lock = new Object();
    private volatile Loaded loaded;
    /** Guarded by lock: the load in progress, or null. */
    private CompletableFuture<Loaded> loading;
    /** Guarded by lock: open leases (requests being handled). */
    private int active;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile boolean everLoaded;
    private volatile boolean draining;
    private volatile boolean drainDeadlinePassed;
    private volatile long unloads;
    private volatile long loads;
    private volatile Path path;
    private volatile ChatTemplate chatTemplate;
    private volatile String chatTemplateError;
    private volatile String name;
    private volatile int contextSize;
    private volatile int vocabSize;
    private ScheduledExecutorService idleTimer;

    public ModelService(EmberConfig config, ServerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent ev) {
        String ref = config.model().orElseThrow(() -> new IllegalStateException(
                "no model configured: pass --model FILE to ./ember serve (or set ember.model / EMBER_MODEL)"));
        // Resolving an hf:// reference may download; it stays before the port opens so a bad reference fails start-up.
        path = HubReference.isReference(ref)
                ? ModelLocator.resolve(ref, HubSettings.of(config.hubUrl(), config.cacheDir(), config.hubOffline(), System::getenv))
                : Path.of(ref);
        if (!Files.isRegularFile(path)) throw new IllegalStateException("model file not found: " + path);
        this.name = config.modelName().orElse(path.getFileName().toString().replaceFirst("\\.gguf$", ""));
        metrics.bind(this);
        CompletableFuture<Loaded> first;
        synchronized (lock) {
            first = startLoad();
        }
        first.whenComplete((l, err) -> {
            if (err != null) {
                LOG.errorf(err, "cannot load the model %s; exiting", path);
                Quarkus.asyncExit(1);
            }
        });
        if (config.idleUnloadSeconds() > 0) {
            idleTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ember-idle-unload");
                t.setDaemon(true);
                return t;
            });
            long periodMs = Math.max(100, Math.min(1000, config.idleUnloadSeconds() * 250L));
            idleTimer.scheduleWithFixedDelay(this::unloadIfIdle, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }
    }

    /** Starts loading (caller holds lock); the future completes on the loader thread. */
    private CompletableFuture<Loaded> startLoad() {
        if (loading != null) return loading;
        CompletableFuture<Loaded> f = new CompletableFuture<>();
        loading = f;
        Thread t = new Thread(() -> {
            try {
                Loaded l = load();
                synchronized (lock) {
                    loaded = l;
                    loading = null;
                    lastActivityNanos = System.nanoTime();
                    everLoaded = true;
                    loads++;
                }
                f.complete(l);
            } catch (Throwable e) {
                synchronized (lock) {
                    loading = null;
                }
                f.completeExceptionally(e);
            }
        }, "ember-loader");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private Loaded load() {
        long t0 = System.nanoTime();
        config.engineProperties().forEach((k, v) -> {
            if (System.getProperty(k) == null) System.setProperty(k, v);
        });
        Model m = Model.load(path);
        try {
            Engine.Config ec = Engine.Config.defaults(m.config(), config.ctxSize(), config.threads()).withLimits(
                    config.maxNumSeqs(), config.maxNumBatchedTokens(), config.kvCacheTokens())
                    .withPrefixCaching(config.enablePrefixCaching()).withBackend(config.backend());
            if (config.kvCacheMemory().isPresent()) ec = ec.withKvCacheMemory(Engine.Config.parseMemory(config.kvCacheMemory().get()));
            if (chatTemplate == null && chatTemplateError == null) loadTemplate(m);
            Engine e = new Engine(m, ec);
            metrics.attach(e);
            contextSize = e.config().contextSize();
            vocabSize = m.config().vocabSize();
            LOG.infof("serving %s as '%s' (%s, %d layers, context %d) loaded in %d ms", path, name, m.config().arch(),
                    m.config().numLayers(), e.config().contextSize(), (System.nanoTime() - t0) / 1_000_000);
            String warning = e.computeWarning();
            if (warning != null) LOG.warn(warning);
            return new Loaded(m, e);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    private void loadTemplate(Model m) {
        String source = null;
        if (config.chatTemplate().isPresent()) {
            try {
                source = Files.readString(Path.of(config.chatTemplate().get()));
            } catch (IOException ex) {
                throw new IllegalStateException("cannot read chat template " + config.chatTemplate().get() + ": " + ex.getMessage(), ex);
            }
        } else if (m.file().metadata().has("tokenizer.chat_template")) {
            source = m.file().metadata().getString("tokenizer.chat_template");
        }
        if (source == null) {
            chatTemplateError = "the model has no chat template (tokenizer.chat_template); start the server with --chat-template FILE";
            return;
        }
        chatTemplate = ChatTemplate.compile(source);
    }

    /** Closes the engine and model when no request has been open for ember.idle-unload-seconds. */
    void unloadIfIdle() {
        try {
            synchronized (lock) {
                Loaded l = loaded;
                if (l == null || active > 0 || outstanding.get() > 0 || draining) return;
                long idle = System.nanoTime() - lastActivityNanos;
                if (idle < TimeUnit.SECONDS.toNanos(config.idleUnloadSeconds())) return;
                loaded = null;
                // No lease is open, so nothing uses the engine; closing under the lock keeps a reload from overlapping.
                l.engine().close();
                l.model().close();
                unloads++;
            }
            LOG.infof("model '%s' unloaded after %d s idle (engine and KV cache freed, file unmapped); the next request reloads it",
                    name, config.idleUnloadSeconds());
        } catch (RuntimeException e) {
            LOG.warn("idle unload failed", e);
        }
    }

    // ---------------------------------------------------------------- leases

    /** A request's hold on the model: while any lease is open the model is not unloaded, and drain waits for it. */
    public final class Lease implements AutoCloseable {
        private final AtomicBoolean closed = new AtomicBoolean();
        private final CompletableFuture<Lease> ready;

        private Lease(CompletableFuture<Loaded> model) {
            this.ready = model.isDone() && !model.isCompletedExceptionally()
                    ? CompletableFuture.completedFuture(this)
                    : model.thenApply(l -> this).copy().orTimeout(config.loadTimeout().toMillis(), TimeUnit.MILLISECONDS)
                            .exceptionallyCompose(e -> CompletableFuture.failedFuture(loadFailure(e)));
        }

        /** Completes once the model is loaded (at once when it is), or fails with a 503 ApiException. */
        public CompletableFuture<Lease> ready() {
            return ready;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            synchronized (lock) {
                active--;
                lastActivityNanos = System.nanoTime();
                if (active == 0) lock.notifyAll();
            }
        }
    }

    private ApiException loadFailure(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof ApiException a) return a;
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return new ApiException(503, "server_error", null, "the model did not finish loading within " + config.loadTimeout(), "not_ready");
        }
        return new ApiException(503, "server_error", null, "the model failed to load: " + cause.getMessage(), "not_ready");
    }

    /**
     * Opens a lease for a request, starting a (re)load when the model is not loaded. Refused with a 503
     * {@link ApiException} (code "shutting_down") once the server drains.
     */
    public Lease enter() {
        synchronized (lock) {
            if (draining) throw drainingError();
            active++;
            lastActivityNanos = System.nanoTime();
            Loaded l = loaded;
            return new Lease(l != null ? CompletableFuture.completedFuture(l) : startLoad());
        }
    }

    private static ApiException drainingError() {
        return new ApiException(503, "server_error", null, "the server is shutting down; retry the request", "shutting_down");
    }

    /** A stream run under a lease: waits for the model, then subscribes to {@code body}; the lease closes when it ends. */
    public <T> Multi<T> leased(Supplier<Multi<T>> body) {
        return Multi.createFrom().deferred(() -> {
            Lease lease = enter();
            return Multi.createFrom().completionStage(lease.ready())
                    .onItem().transformToMultiAndConcatenate(x -> body.get())
                    .onTermination().invoke(lease::close);
        });
    }

    /** A single result computed under a lease (see {@link #leased(Supplier)}). */
    public <T> Uni<T> leasedUni(Supplier<Uni<T>> body) {
        return Uni.createFrom().deferred(() -> {
            Lease lease = enter();
            return Uni.createFrom().completionStage(lease.ready())
                    .chain(x -> body.get())
                    .onTermination().invoke(lease::close);
        });
    }

    // ---------------------------------------------------------------- drain

    /**
     * SIGTERM, first phase: Quarkus fires this before it stops the HTTP server. New requests are refused
     * from here on; open ones get up to ember.drain-timeout to finish; any left then are ended with an
     * error (a last SSE event / a gRPC status), never silently dropped. Blocking here holds shutdown back.
     */
    void drain(@Observes ShutdownDelayInitiatedEvent ev) {
        drainNow(config.drainTimeout());
    }

    /** Visible for tests. Returns the number of requests that had to be ended at the deadline. */
    int drainNow(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int left;
        synchronized (lock) {
            draining = true;
            LOG.infof("draining: refusing new requests, waiting up to %s for %d in flight", timeout, active);
            left = awaitIdle(deadline);
        }
        if (left == 0) {
            LOG.info("drained: no request in flight");
            return 0;
        }
        LOG.warnf("drain timeout (%s) reached with %d requests in flight; ending them with an error", timeout, left);
        drainDeadlinePassed = true;
        CompletableFuture<Loaded> pending;
        Loaded l;
        synchronized (lock) {
            pending = loading;
            l = loaded;
            loaded = null;
        }
        if (pending != null) pending.completeExceptionally(new ApiException(503, "server_error", null,
                "the server shut down before the model finished loading", "shutting_down"));
        if (l != null) {
            // Closing the engine fails every sequence; generate() turns that into a "shutting_down" error.
            l.engine().close();
            l.model().close();
        }
        // Give the responses a moment to write their final error event.
        synchronized (lock) {
            awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
        }
        return left;
    }

    /** Waits (holding lock) until no lease is open or the deadline passes; returns the leases still open. */
    private int awaitIdle(long deadlineNanos) {
        while (active > 0) {
            long waitMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (waitMs <= 0) break;
            try {
                lock.wait(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return active;
    }

    void stop(@Observes ShutdownEvent ev) {
        if (idleTimer != null) idleTimer.shutdownNow();
        Loaded l;
        synchronized (lock) {
            draining = true;
            l = loaded;
            loaded = null;
        }
        if (l != null) {
            l.engine().close();
            l.model().close();
        }
    }

    // ---------------------------------------------------------------- state

    /**
     * Ready: the first load has finished and the server is not draining, so a request can be answered
     * (when idle-unloaded, the request reloads the model and waits; see the class comment).
     */
    public boolean ready() {
        return everLoaded && !draining;
    }

    /** Whether the model and engine are in memory now. */
    public boolean loaded() {
        return loaded != null;
    }

    public boolean draining() {
        return draining;
    }

    /** Times the model was unloaded for being idle. */
    public long unloads() {
        synchronized (lock) {   // an unload clears `loaded` first and counts itself after closing, under the lock
            return unloads;
        }
    }

    /** Times the model was loaded (the first load included). */
    public long loads() {
        return loads;
    }

    public String modelName() {
        return name;
    }

    private Loaded current() {
        Loaded l = loaded;
        if (l == null) throw new ApiException(503, "server_error", null, "the model is not loaded", "not_ready");
        return l;
    }

    /** The loaded model; call under a {@link Lease}. */
    public Model model() {
        return current().model();
    }

    /** The loaded engine, or null when it is not loaded. */
    public Engine engine() {
        Loaded l = loaded;
        return l == null ? null : l.engine();
    }

    /** The tokenizer; call under a {@link Lease}. */
    public Tokenizer tokenizer() {
        return current().model().tokenizer();
    }

    /** The context size (known once the model has loaded once). */
    public int contextSize() {
        return contextSize;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public EmberConfig config() {
        return config;
    }

    /** The chat template, or an error naming why there is none. */
    public ChatTemplate chatTemplate() {
        if (chatTemplate == null) throw new ApiException(400, "invalid_request_error", null, chatTemplateError);
        return chatTemplate;
    }

    /** Checks that a request names the served model (an empty or absent name means it). */
    public void checkModel(String requested) {
        if (requested != null && !requested.isEmpty() && !requested.equals(name)) {
            throw new ApiException(404, "invalid_request_error", "model", "The model '" + requested + "' does not exist (serving '" + name + "')", "model_not_found");
        }
    }

    /**
     * Submits a generation (call under a {@link Lease}), or refuses it when too many are outstanding. The
     * stream reports metrics and releases its admission slot however it ends (completion, failure or
     * client cancellation).
     */
    public Multi<TokenEvent> generate(GenerationRequest request) {
        if (draining && drainDeadlinePassed) throw drainingError();
        if (outstanding.incrementAndGet() > config.maxQueue() + config.maxNumSeqs()) {
            outstanding.decrementAndGet();
            throw new OverloadedException("the server is overloaded: " + config.maxQueue() + " requests already waiting; retry later");
        }
        Multi<TokenEvent> stream;
        try {
            stream = current().engine().submit(request);
        } catch (RuntimeException e) {
            outstanding.decrementAndGet();
            throw e;
        }
        return metrics.observe(stream, request)
                .onFailure(IllegalStateException.class).transform(e -> drainDeadlinePassed
                        ? new ApiException(503, "server_error", null, "the server shut down before this generation finished (drain timeout "
                                + config.drainTimeout() + " reached)", "shutting_down")
                        : e)
                .onTermination().invoke(outstanding::decrementAndGet);
    }
}
