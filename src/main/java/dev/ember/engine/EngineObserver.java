package dev.ember.engine;

/**
 * Hooks the engine thread calls so a metrics layer (the server's ServerMetrics) can record per-step
 * and per-request timings without the engine depending on it. Calls must be quick and must not throw:
 * they run inside the engine loop.
 */
public interface EngineObserver {
    /** One engine step ran {@code tokens} tokens (prefill chunks and decodes of all sequences). */
    default void iteration(int tokens) {}

    /**
     * A request finished normally (stop or length), with vLLM's phase split.
     *
     * @param queueNanos   arrival to first scheduled
     * @param prefillNanos first scheduled to first token
     * @param decodeNanos  first token to finish
     */
    default void requestFinished(long queueNanos, long prefillNanos, long decodeNanos) {}
}
