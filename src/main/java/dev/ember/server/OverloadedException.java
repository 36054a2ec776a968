package dev.ember.server;

/** Too many outstanding requests: HTTP 429, gRPC RESOURCE_EXHAUSTED. */
public final class OverloadedException extends ApiException {
    public OverloadedException(String message) {
        super(429, "server_error", null, message, "overloaded");
    }
}
