package dev.ember.server.grpc;

import dev.ember.server.ApiException;
import dev.ember.server.OverloadedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The status each failure becomes; overload is hard to provoke end to end with a 260K-parameter model. */
class GrpcErrorsTest {
    private static Status status(Throwable t) {
        return ((StatusRuntimeException) GrpcErrors.toStatus(t)).getStatus();
    }

    @Test
    void failuresMapToStatusesKeepingTheMessage() {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status(new OverloadedException("busy")).getCode());
        assertEquals("busy", status(new OverloadedException("busy")).getDescription());
        assertEquals(Status.Code.INVALID_ARGUMENT, status(ApiException.badParam("top_p", "bad")).getCode());
        assertEquals(Status.Code.NOT_FOUND, status(new ApiException(404, "invalid_request_error", "model", "no such model")).getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, status(new IllegalArgumentException("the prompt has 9 tokens")).getCode());
        assertEquals(Status.Code.UNAVAILABLE, status(new IllegalStateException("the engine is shut down")).getCode());
        assertEquals(Status.Code.INTERNAL, status(new ArithmeticException("boom")).getCode());
        StatusRuntimeException already = Status.CANCELLED.asRuntimeException();
        assertSame(already, GrpcErrors.toStatus(already));
    }
}
