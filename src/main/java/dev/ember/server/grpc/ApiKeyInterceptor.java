package dev.ember.server.grpc;

import dev.ember.server.EmberConfig;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Set;

/**
 * When {@code ember.api-key} is set, every gRPC call must carry {@code authorization: Bearer <key>}
 * metadata, or it ends with UNAUTHENTICATED before reaching a service. Liveness and readiness stay
 * open so orchestrator probes need no key (as the REST health endpoints do).
 */
@ApplicationScoped
@GlobalInterceptor
public class ApiKeyInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN = Set.of(
            "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch",
            "inference.GRPCInferenceService/ServerLive", "inference.GRPCInferenceService/ServerReady");

    private final BearerKey key;

    public ApiKeyInterceptor(EmberConfig config) {
        this.key = new BearerKey(config.apiKey());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!key.required() || OPEN.contains(call.getMethodDescriptor().getFullMethodName())) return next.startCall(call, headers);
        String refusal = key.refusal(headers.get(AUTHORIZATION));
        if (refusal == null) return next.startCall(call, headers);
        call.close(Status.UNAUTHENTICATED.withDescription(refusal), new Metadata());
        return new ServerCall.Listener<>() {};
    }
}
