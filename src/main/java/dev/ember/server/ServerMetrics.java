package dev.ember.server;

import dev.ember.engine.GenerationRequest;
import dev.ember.engine.TokenEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * vLLM's serving metrics under an {@code ember:} prefix, same meaning: Prometheus names come out as
 * ember:num_requests_running, ember:prompt_tokens_total, ember:time_to_first_token_seconds, ...
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
    }

    private static Duration[] buckets(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < d.length; i++) d[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        return d;
    }

    /** Gauges that read the engine's live state. */
    void bind(ModelService service) {
        Gauge.builder("ember:num_requests_running", service, s -> s.engine().running())
                .description("Requests in the engine's running batch").register(registry);
        Gauge.builder("ember:num_requests_waiting", service, s -> s.engine().waiting())
                .description("Requests waiting to be scheduled").register(registry);
        Gauge.builder("ember:kv_cache_usage_perc", service, s -> (double) s.engine().usedBlocks() / s.engine().totalBlocks())
                .description("Fraction of KV cache blocks in use").register(registry);
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
