package dev.ember.server.grpc;

import dev.ember.server.ApiException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

/**
 * Maps request and engine failures to gRPC statuses, keeping the message: a client sees
 * INVALID_ARGUMENT with "top_p = 2.0: must be in (0, 1]" rather than UNKNOWN.
 */
public final class GrpcErrors {
    private GrpcErrors() {}

    public static Throwable toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException || t instanceof StatusException) return t;
        Status status = switch (t) {
            case ApiException e -> switch (e.status()) {
                case 400 -> Status.INVALID_ARGUMENT;
                case 401 -> Status.UNAUTHENTICATED;
                case 403 -> Status.PERMISSION_DENIED;
                case 404 -> Status.NOT_FOUND;
                case 429 -> Status.RESOURCE_EXHAUSTED;
                case 503 -> Status.UNAVAILABLE;
                default -> e.status() >= 500 ? Status.INTERNAL : Status.UNKNOWN;
            };
            // Validation (SamplingParams, GenerationRequest, a prompt longer than the context) names the problem.
            case IllegalArgumentException e -> Status.INVALID_ARGUMENT;
            // The engine refuses work only while shutting down.
            case IllegalStateException e -> Status.UNAVAILABLE;
            default -> Status.INTERNAL;
        };
        return status.withDescription(t.getMessage()).withCause(t).asRuntimeException();
    }
}
