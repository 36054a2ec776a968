package dev.ember.server.openai;

import io.vertx.core.http.HttpServerResponse;

/** Server-sent events as OpenAI streams them: {@code data: <json>\n\n}, ending with {@code data: [DONE]}. */
final class Sse {
    private Sse() {}

    static void start(HttpServerResponse r) {
        r.setStatusCode(200);
        r.putHeader("Content-Type", "text/event-stream; charset=utf-8");
        r.putHeader("Cache-Control", "no-cache");
        r.setChunked(true);
    }

    static void data(HttpServerResponse r, String json) {
        if (!r.closed()) r.write("data: " + json + "\n\n");
    }

    static void done(HttpServerResponse r) {
        if (!r.closed()) r.end("data: [DONE]\n\n");
    }
}
