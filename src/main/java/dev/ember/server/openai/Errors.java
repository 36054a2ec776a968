package dev.ember.server.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.server.ApiException;
import io.vertx.core.http.HttpServerResponse;

/** OpenAI-style error bodies: {@code {"error":{"message","type","param","code"}}}. */
final class Errors {
    private Errors() {}

    static final ObjectMapper JSON = new ObjectMapper();

    static String body(String message, String type, String param, String code) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("message", message);
        e.put("type", type);
        if (param == null) e.putNull("param"); else e.put("param", param);
        if (code == null) e.putNull("code"); else e.put("code", code);
        return o.toString();
    }

    static void send(HttpServerResponse r, int status, String message, String type, String param, String code) {
        if (r.ended() || r.closed()) return;
        if (r.headWritten()) {
            // Mid-stream: the status line is gone, so the error travels as a last SSE event.
            Sse.data(r, body(message, type, param, code));
            Sse.done(r);
            return;
        }
        // 503 (draining, loading): tell clients and proxies when to retry.
        if (status == 503) r.putHeader("Retry-After", String.valueOf(dev.ember.server.ModelService.RETRY_AFTER_SECONDS));
        r.setStatusCode(status).putHeader("Content-Type", "application/json").end(body(message, type, param, code));
    }

    static void send(HttpServerResponse r, ApiException e) {
        send(r, e.status(), e.getMessage(), e.type(), e.param(), e.code());
    }
}
