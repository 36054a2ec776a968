package dev.ember.model;

/** No KV block is left for a sequence that needs one. */
public final class KvCacheFullException extends RuntimeException {
    public KvCacheFullException(String message) {
        super(message);
    }
}
