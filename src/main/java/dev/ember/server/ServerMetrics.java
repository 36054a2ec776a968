package dev.ember.server;

import dev.ember.engine.Engine;
import dev.ember.engine.EngineObserver;
import dev.ember.engine.GenerationRequest;
import dev.ember.engine.TokenEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * vLLM's serving metrics under an {@code ember:} prefix, same meaning: Prometheus names come out as
 * ember:num_requests_running, ember:prompt_tokens_total, ember:time_to_first_token_seconds, ...
 * Engine-side ones (preemptions, prefix cache, request phases, tokens per step) read the engine's
 * counters or come from its {@link EngineObserver}.
 */
@ApplicationScoped
public class ServerMetrics {
    private static final Duration[] LATENCY_BUCKETS = buckets(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
            0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0);

    private final MeterRegistry registry;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Timer ttft;
    private final Timer itl;
    private final Timer e2e;
    private final Timer queueTime;
    private final Timer prefillTime;
    private final Timer decodeTime;
    private final DistributionSummary iterationTokens;
    private final AtomicLong cancelled = new AtomicLong();

    public ServerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.promptTokens = Counter.builder("ember:prompt_tokens").description("Prefill tokens processed").register(registry);
        this.generationTokens = Counter.builder("ember:generation_tokens").description("Generation tokens processed").register(registry);
        this.ttft = Timer.builder("ember:time_to_first_token").description("Time to first token")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.itl = Timer.builder("ember:inter_token_latency").description("Time between generated tokens")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.e2e = Timer.builder("ember:e2e_request_latency").description("End-to-end request latency")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.queueTime = Timer.builder("ember:request_queue_time").description("Time from arrival to first scheduled")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.prefillTime = Timer.builder("ember:request_prefill_time").description("Time from first scheduled to first token")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        this.decodeTime = Timer.builder("ember:request_decode_time").description("Time from first token to finish")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        // vLLM's histogram is literally named iteration_tokens_total; the Prometheus series are its _bucket/_sum/_count.
        this.iterationTokens = DistributionSummary.builder("ember:iteration_tokens_total").description("Tokens per engine step")
                .serviceLevelObjectives(1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384).register(registry);
    }

    private static Duration[] buckets(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < d.length; i++) d[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        return d;
    }

    /**
     * Gauges and counters that read the live state of whichever engine the service has loaded (zero while
     * it is unloaded); each engine the service loads gets the timing hooks through {@link #attach(Engine)}.
     */
    void bind(ModelService service) {
        Gauge.builder("ember:num_requests_running", service, s -> read(s, Engine::running))
                .description("Requests in the engine's running batch").register(registry);
        Gauge.builder("ember:num_requests_waiting", service, s -> read(s, Engine::waiting))
                .description("Requests waiting to be scheduled").register(registry);
        Gauge.builder("ember:kv_cache_usage_perc", service, s -> read(s, e -> (double) e.usedBlocks() / e.totalBlocks()))
                .description("Fraction of KV cache blocks in use").register(registry);
        // Counters of an engine restart at zero after an idle unload and reload.
        FunctionCounter.builder("ember:num_preemptions", service, s -> read(s, Engine::preemptions))
                .description("Sequences preempted (KV blocks freed, recomputed later)").register(registry);
        FunctionCounter.builder("ember:prefix_cache_queries", service, s -> read(s, Engine::prefixCacheQueries))
                .description("Tokens looked up in the prefix cache").register(registry);
        FunctionCounter.builder("ember:prefix_cache_hits", service, s -> read(s, Engine::prefixCacheHits))
                .description("Tokens found in the prefix cache").register(registry);
        Gauge.builder("ember:model_loaded", service, s -> s.loaded() ? 1 : 0)
                .description("1 while the model is in memory, 0 while idle-unloaded").register(registry);
    }

    private static double read(ModelService s, java.util.function.ToDoubleFunction<Engine> f) {
        Engine e = s.engine();
        return e == null ? 0 : f.applyAsDouble(e);
    }

    void bind(Engine engine) {
        Gauge.builder("ember:num_requests_running", engine, Engine::running)
                .description("Requests in the engine's running batch").register(registry);
        Gauge.builder("ember:num_requests_waiting", engine, Engine::waiting)
                .description("Requests waiting to be scheduled").register(registry);
        Gauge.builder("ember:kv_cache_usage_perc", engine, e -> (double) e.usedBlocks() / e.totalBlocks())
                .description("Fraction of KV cache blocks in use").register(registry);
        FunctionCounter.builder("ember:num_preemptions", engine, Engine::preemptions)
                .description("Sequences preempted (KV blocks freed, recomputed later)").register(registry);
        FunctionCounter.builder("ember:prefix_cache_queries", engine, Engine::prefixCacheQueries)
                .description("Tokens looked up in the prefix cache").register(registry);
        FunctionCounter.builder("ember:prefix_cache_hits", engine, Engine::prefixCacheHits)
                .description("Tokens found in the prefix cache").register(registry);
        attach(engine);
    }

    /** The engine's timing hooks (per-step tokens, per-request phases). */
    void attach(Engine engine) {
        engine.setObserver(new EngineObserver() {
            @Override
            public void iteration(int tokens) {
                iterationTokens.record(tokens);
            }

            @Override
            public void requestFinished(long queueNanos, long prefillNanos, long decodeNanos) {
                queueTime.record(queueNanos, TimeUnit.NANOSECONDS);
                prefillTime.record(prefillNanos, TimeUnit.NANOSECONDS);
                decodeTime.record(decodeNanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    private Counter finished(String reason) {
        return Counter.builder("ember:request_success").tag("finished_reason", reason)
                .description("Requests finished, by reason").register(registry);
    }

    /** Wraps a request's stream so its tokens, latencies and outcome are counted. */
    Multi<TokenEvent> observe(Multi<TokenEvent> stream, GenerationRequest request) {
        long start = System.nanoTime();
        AtomicLong last = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        return stream.onItem().invoke(e -> {
            long now = System.nanoTime();
            if (e.token() >= 0) {
                long prev = last.getAndSet(now);
                if (prev == 0) ttft.record(now - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                else itl.record(now - prev, java.util.concurrent.TimeUnit.NANOSECONDS);
                generationTokens.increment();
            }
            if (e.isLast() && done.compareAndSet(false, true)) {
                promptTokens.increment(e.promptTokens());
                e2e.record(now - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                finished(e.finishReason()).increment();
            }
        }).onTermination().invoke((failure, cancellation) -> {
            if (done.compareAndSet(false, true)) {
                promptTokens.increment(request.promptTokens().length);
                finished(cancellation ? "abort" : "error").increment();
                if (cancellation) cancelled.incrementAndGet();
            }
        });
    }

    /** Requests that ended because the client went away. */
    public long cancelledRequests() {
        return cancelled.get();
    }
}
