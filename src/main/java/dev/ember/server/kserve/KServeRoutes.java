package dev.ember.server.kserve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.engine.TokenEvent;
import dev.ember.server.ApiException;
import dev.ember.server.ModelService;
import dev.ember.server.EmberConfig;
import dev.ember.server.grpc.BearerKey;
import dev.ember.server.grpc.Completion;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KServe v2 over REST: health, server and model metadata, model readiness, the tensor {@code infer}
 * endpoint for {@code text_input}, and Triton's generate extension ({@code generate}, and
 * {@code generate_stream} as server-sent events, one {@code data:} event per token). Errors are
 * {@code {"error": "..."}} with 400/404/429, per the spec. Health stays open when an API key is set.
 */
@ApplicationScoped
public class KServeRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TextGeneration model;
    private final BearerKey key;
    private final String version;
    private final long bodyLimit;

    public KServeRoutes(TextGeneration model, EmberConfig config,
                        @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version,
                        @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "8M") io.quarkus.runtime.configuration.MemorySize bodyLimit) {
        this.model = model;
        this.key = new BearerKey(config.apiKey());
        this.version = version;
        this.bodyLimit = bodyLimit.asLongValue();
    }

    void install(@Observes Router router) {
        router.get("/v2/health/live").handler(ctx -> ctx.response().setStatusCode(200).end());
        // The spec's "false" is a 4xx status with an empty body.
        router.get("/v2/health/ready").handler(ctx -> ctx.response().setStatusCode(model.ready() ? 200 : 400).end());
        router.route("/v2*").handler(this::authorize);
        router.get("/v2").handler(ctx -> json(ctx.response(), 200, serverMetadata()));
        for (String base : List.of("/v2/models/:model", "/v2/models/:model/versions/:version")) {
            router.get(base).handler(this::modelMetadata);
            router.get(base + "/ready").handler(this::modelReady);
            router.post(base + "/infer").handler(BodyHandler.create().setBodyLimit(bodyLimit)).handler(this::infer);
            router.post(base + "/generate").handler(BodyHandler.create().setBodyLimit(bodyLimit)).handler(this::generate);
            router.post(base + "/generate_stream").handler(BodyHandler.create().setBodyLimit(bodyLimit)).handler(this::generateStream);
        }
    }

    private void authorize(RoutingContext ctx) {
        String refusal = key.refusal(ctx.request().getHeader("Authorization"));
        if (refusal == null) ctx.next();
        else error(ctx.response(), 401, refusal);
    }

    private ObjectNode serverMetadata() {
        ObjectNode o = JSON.createObjectNode().put("name", "ember").put("version", version);
        o.putArray("extensions").add("generate");
        return o;
    }

    private void modelMetadata(RoutingContext ctx) {
        handle(ctx, () -> {
            resolve(ctx);
            ObjectNode o = JSON.createObjectNode().put("name", model.modelName());
            o.putArray("versions").add(TextGeneration.VERSION);
            o.put("platform", TextGeneration.PLATFORM);
            tensorMetadata(o.putArray("inputs"), TextGeneration.INPUT);
            tensorMetadata(o.putArray("outputs"), TextGeneration.OUTPUT);
            json(ctx.response(), 200, o);
        });
    }

    private static void tensorMetadata(ArrayNode into, String name) {
        ObjectNode t = into.addObject().put("name", name).put("datatype", "BYTES");
        t.putArray("shape").add(1);
    }

    private void modelReady(RoutingContext ctx) {
        handle(ctx, () -> {
            resolve(ctx);
            ctx.response().setStatusCode(model.ready() ? 200 : 400).end();
        });
    }

    /** The tensor form: {@code {"inputs":[{"name":"text_input","datatype":"BYTES","shape":[1],"data":["..."]}],"parameters":{...}}}. */
    private void infer(RoutingContext ctx) {
        handle(ctx, () -> {
            resolve(ctx);
            JsonNode body = body(ctx);
            JsonNode inputs = body.path("inputs");
            if (!inputs.isArray() || inputs.size() != 1 || !TextGeneration.INPUT.equals(inputs.get(0).path("name").asText())) {
                throw ApiException.badParam("inputs", "expected exactly one input, '" + TextGeneration.INPUT + "' (BYTES, shape [1])");
            }
            JsonNode input = inputs.get(0);
            if (!"BYTES".equals(input.path("datatype").asText())) {
                throw ApiException.badParam(TextGeneration.INPUT, TextGeneration.INPUT + " must be BYTES, got " + input.path("datatype"));
            }
            JsonNode data = input.path("data");
            if (data.isArray() && data.size() == 1) data = data.get(0);
            if (!data.isTextual()) {
                throw ApiException.badParam(TextGeneration.INPUT, TextGeneration.INPUT + " must hold one string element (batching is not supported)");
            }
            for (JsonNode o : body.path("outputs")) {
                if (!TextGeneration.OUTPUT.equals(o.path("name").asText())) {
                    throw ApiException.badParam("outputs", "unknown output " + o.path("name") + "; the model has one output, " + TextGeneration.OUTPUT);
                }
            }
            Map<String, Object> params = parameters(body.path("parameters"));
            String id = body.hasNonNull("id") ? body.get("id").asText() : null;
            subscribeOnce(ctx, model.complete(data.asText(), params), c -> {
                ObjectNode r = JSON.createObjectNode().put("model_name", model.modelName()).put("model_version", TextGeneration.VERSION);
                if (id != null) r.put("id", id);
                r.putObject("parameters").put("finish_reason", c.finishReason())
                        .put("prompt_tokens", c.promptTokens()).put("completion_tokens", c.completionTokens());
                ObjectNode out = r.putArray("outputs").addObject().put("name", TextGeneration.OUTPUT).put("datatype", "BYTES");
                out.putArray("shape").add(1);
                out.putArray("data").add(c.text());
                return r;
            });
        });
    }

    /** Triton's generate extension: {@code {"text_input": "...", "parameters": {...}}}, one JSON reply. */
    private void generate(RoutingContext ctx) {
        handle(ctx, () -> {
            resolve(ctx);
            JsonNode body = body(ctx);
            subscribeOnce(ctx, model.complete(textInput(body), generateParameters(body)), c -> {
                ObjectNode r = generateEvent(c.text());
                r.put("finish_reason", c.finishReason());
                usage(r, c.promptTokens(), c.completionTokens());
                return r;
            });
        });
    }

    /**
     * The same request answered as server-sent events: one {@code data: {...}} per token with its
     * {@code text_output} delta, the last also carrying finish_reason and usage. A request refused
     * before generation starts gets a plain JSON error; a failure mid-stream arrives as a last
     * {@code data: {"error": ...}} event. The client closing the connection cancels the generation.
     */
    private void generateStream(RoutingContext ctx) {
        handle(ctx, () -> {
            resolve(ctx);
            JsonNode body = body(ctx);
            var events = model.stream(textInput(body), generateParameters(body));
            HttpServerResponse r = ctx.response();
            Context context = Vertx.currentContext();
            // The SSE head goes out with the first event: the stream waits for the model when it is (re)loading,
            // and a refusal before any event (validation, draining) still gets a plain JSON error with its status.
            Cancellable subscription = events.emitOn(task -> context.runOnContext(v -> task.run())).subscribe().with(
                    e -> {
                        startSse(r);
                        sse(r, streamEvent(e));
                    },
                    failure -> {
                        if (!r.headWritten()) {
                            fail(r, failure);
                            return;
                        }
                        sse(r, JSON.createObjectNode().put("error", failure.getMessage()));
                        if (!r.closed()) r.end();
                    },
                    () -> {
                        startSse(r);
                        if (!r.closed()) r.end();
                    });
            r.closeHandler(v -> subscription.cancel());
        });
    }

    private static void startSse(HttpServerResponse r) {
        if (r.headWritten() || r.closed()) return;
        r.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache");
    }

    private ObjectNode streamEvent(TokenEvent e) {
        ObjectNode o = generateEvent(e.text());
        if (e.isLast()) {
            o.put("finish_reason", e.finishReason());
            usage(o, e.promptTokens(), e.completionTokens());
        }
        return o;
    }

    private ObjectNode generateEvent(String text) {
        return JSON.createObjectNode().put("model_name", model.modelName()).put("model_version", TextGeneration.VERSION)
                .put("text_output", text);
    }

    private static void usage(ObjectNode o, int prompt, int completion) {
        o.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }

    private static String textInput(JsonNode body) {
        JsonNode t = body.get("text_input");
        if (t == null || !t.isTextual()) throw ApiException.badParam(TextGeneration.INPUT, "text_input (a string) is required");
        return t.asText();
    }

    /**
     * Per the extension, properties besides text_input and parameters are parameters too (TensorRT-LLM
     * clients send {"text_input": ..., "max_tokens": 20}); the parameters object wins on a clash.
     */
    private static Map<String, Object> generateParameters(JsonNode body) {
        Map<String, Object> params = new LinkedHashMap<>();
        ObjectNode extra = ((ObjectNode) body).deepCopy();
        extra.remove(List.of(TextGeneration.INPUT, "parameters"));
        params.putAll(parameters(extra));
        params.putAll(parameters(body.path("parameters")));
        return params;
    }

    private static Map<String, Object> parameters(JsonNode node) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (node.isMissingNode() || node.isNull()) return out;
        if (!node.isObject()) throw ApiException.badParam("parameters", "parameters must be an object");
        node.properties().forEach(e -> out.put(e.getKey(), value(e.getKey(), e.getValue())));
        return out;
    }

    private static Object value(String name, JsonNode v) {
        if (v.isNull()) return null;
        if (v.isTextual()) return v.asText();
        if (v.isBoolean()) return v.booleanValue();
        if (v.isIntegralNumber()) return v.longValue();
        if (v.isNumber()) return v.doubleValue();
        if (v.isArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonNode x : v) list.add(value(name, x));
            return list;
        }
        throw ApiException.badParam(name, name + " must be a string, number, boolean or list");
    }

    private void resolve(RoutingContext ctx) {
        model.checkModel(ctx.pathParam("model"), ctx.pathParam("version"));
    }

    private static JsonNode body(RoutingContext ctx) {
        String text = ctx.body().asString();
        JsonNode body;
        try {
            body = text == null ? null : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "invalid_request_error", null, "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) throw new ApiException(400, "invalid_request_error", null, "the body must be a JSON object");
        return body;
    }

    private static <T> void subscribeOnce(RoutingContext ctx, io.smallrye.mutiny.Uni<T> result, java.util.function.Function<T, ObjectNode> render) {
        Context context = Vertx.currentContext();
        Cancellable subscription = result.emitOn(task -> context.runOnContext(v -> task.run())).subscribe().with(
                value -> json(ctx.response(), 200, render.apply(value)),
                failure -> fail(ctx.response(), failure));
        ctx.response().closeHandler(v -> subscription.cancel());
    }

    /** Runs a handler, turning a refusal it throws into the spec's error object. */
    private static void handle(RoutingContext ctx, Runnable handler) {
        try {
            handler.run();
        } catch (RuntimeException e) {
            fail(ctx.response(), e);
        }
    }

    private static void fail(HttpServerResponse r, Throwable t) {
        int status = switch (t) {
            case ApiException e -> e.status();
            case IllegalArgumentException e -> 400;
            case IllegalStateException e -> 503;
            default -> 500;
        };
        if (status == 503 && !r.headWritten()) r.putHeader("Retry-After", String.valueOf(ModelService.RETRY_AFTER_SECONDS));
        error(r, status, t.getMessage());
    }

    private static void error(HttpServerResponse r, int status, String message) {
        json(r, status, JSON.createObjectNode().put("error", message));
    }

    private static void json(HttpServerResponse r, int status, ObjectNode body) {
        if (r.ended() || r.closed()) return;
        r.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }

    private static void sse(HttpServerResponse r, ObjectNode event) {
        if (!r.closed() && !r.ended()) r.write("data: " + event + "\n\n");
    }
}
