package dev.ember.server.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.chat.ChatTemplateException;
import dev.ember.engine.GenerationRequest;
import dev.ember.engine.TokenEvent;
import dev.ember.server.ApiException;
import dev.ember.server.ModelService;
import dev.ember.tokenizer.Tokenizer;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The OpenAI-compatible REST surface (plus vLLM's /tokenize, /detokenize, /health and /metrics), on
 * Vert.x routes so one handler can answer JSON or stream SSE. Thin by design: validate, tokenize or
 * render the chat template, submit to {@link ModelService}, map events to OpenAI's JSON.
 */
@ApplicationScoped
public class OpenAiRoutes {
    private static final Logger LOG = Logger.getLogger(OpenAiRoutes.class);
    static final long MAX_BODY_BYTES = 8L << 20;

    private final ModelService service;
    private final Instance<PrometheusMeterRegistry> prometheus;

    public OpenAiRoutes(ModelService service, Instance<PrometheusMeterRegistry> prometheus) {
        this.service = service;
        this.prometheus = prometheus;
    }

    void init(@Observes Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        route(router.post("/v1/completions"), body, this::completions);
        route(router.post("/v1/chat/completions"), body, this::chatCompletions);
        route(router.get("/v1/models"), null, this::models);
        route(router.post("/tokenize"), body, this::tokenize);
        route(router.post("/detokenize"), body, this::detokenize);
        router.get("/health").handler(ctx -> ctx.response().setStatusCode(service.ready() ? 200 : 503)
                .putHeader("Content-Type", "application/json").end("{}"));
        router.get("/metrics").handler(ctx -> {
            if (!prometheus.isResolvable()) {
                ctx.response().setStatusCode(404).end();
                return;
            }
            ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(prometheus.get().scrape());
        });
    }

    private void route(io.vertx.ext.web.Route r, BodyHandler body, BiConsumer<RoutingContext, JsonNode> handler) {
        if (body != null) r.handler(body);
        r.handler(ctx -> handle(ctx, () -> {
            checkApiKey(ctx);
            JsonNode json = body != null ? parse(ctx) : null;
            // The lease holds the model in memory until the response ends, and waits for a (re)load if needed.
            ModelService.Lease lease = service.enter();
            ctx.addEndHandler(v -> lease.close());
            if (lease.ready().isDone() && !lease.ready().isCompletedExceptionally()) {
                handler.accept(ctx, json);
                return;
            }
            io.vertx.core.Context vertxContext = io.vertx.core.Vertx.currentContext();
            lease.ready().whenComplete((l, failure) -> vertxContext.runOnContext(v -> handle(ctx, () -> {
                if (failure != null) throw failure instanceof ApiException a ? a
                        : new ApiException(503, "server_error", null, "the model is not available: " + failure.getMessage(), "not_ready");
                handler.accept(ctx, json);
            })));
        }));
        r.failureHandler(ctx -> {
            int status = ctx.statusCode();
            if (status == 413) {
                Errors.send(ctx.response(), 413, "the request body is larger than " + MAX_BODY_BYTES + " bytes", "invalid_request_error", null, "body_too_large");
            } else {
                Errors.send(ctx.response(), status > 0 ? status : 500, ctx.failure() != null ? String.valueOf(ctx.failure().getMessage()) : "request failed",
                        status >= 400 && status < 500 ? "invalid_request_error" : "server_error", null, null);
            }
        });
    }

    private static void handle(RoutingContext ctx, Runnable action) {
        try {
            action.run();
        } catch (ApiException e) {
            Errors.send(ctx.response(), e);
        } catch (ChatTemplateException e) {
            Errors.send(ctx.response(), 400, e.getMessage(), "invalid_request_error", "messages", "chat_template_error");
        } catch (IllegalArgumentException e) {
            Errors.send(ctx.response(), 400, e.getMessage(), "invalid_request_error", null, "invalid_value");
        } catch (RuntimeException e) {
            LOG.error("request failed", e);
            Errors.send(ctx.response(), 500, "internal error: " + e, "server_error", null, null);
        }
    }

    private void checkApiKey(RoutingContext ctx) {
        String key = service.config().apiKey().orElse(null);
        if (key == null || key.isEmpty()) return;
        String auth = ctx.request().getHeader("Authorization");
        if (auth == null || !auth.equals("Bearer " + key)) {
            throw new ApiException(401, "invalid_request_error", null,
                    auth == null ? "missing API key: send 'Authorization: Bearer <key>'" : "incorrect API key provided", "invalid_api_key");
        }
    }

    private static JsonNode parse(RoutingContext ctx) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) throw new ApiException(400, "invalid_request_error", null, "the request body is empty; expected a JSON object");
        try {
            JsonNode n = Errors.JSON.readTree(text);
            if (n == null || !n.isObject()) throw new ApiException(400, "invalid_request_error", null, "the request body must be a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "invalid_request_error", null, "malformed JSON in the request body: " + e.getOriginalMessage());
        }
    }

    // ---------------------------------------------------------------- completions

    private void completions(RoutingContext ctx, JsonNode body) {
        service.checkModel(JsonFields.string(body, "model"));
        if (!body.has("prompt")) throw ApiException.badParam("prompt", "'prompt' is required");
        List<int[]> prompts = prompts(body.get("prompt"));
        GenerationOptions opts = GenerationOptions.read(body, 16, service.config().maxN(), false);
        Generation g = start(ctx, prompts, opts, "cmpl-", false);
        if (opts.stream()) stream(ctx, g, false); else collect(ctx, g, false);
    }

    /**
     * {@code prompt}: a string, an array of strings, an array of token ids, or an array of those arrays.
     * Text gets the model's BOS rule, and special-token text in it becomes the special token, as
     * llama-server and vLLM (Hugging Face tokenizers) both do.
     */
    private List<int[]> prompts(JsonNode p) {
        Tokenizer t = service.tokenizer();
        List<int[]> out = new ArrayList<>();
        if (p.isTextual()) {
            out.add(t.encode(p.asText(), true, true));
        } else if (p.isArray() && !p.isEmpty() && p.get(0).isTextual()) {
            for (JsonNode e : p) {
                if (!e.isTextual()) throw ApiException.badParam("prompt", "'prompt' arrays must hold only strings or only token ids");
                out.add(t.encode(e.asText(), true, true));
            }
        } else if (p.isArray() && !p.isEmpty() && p.get(0).isArray()) {
            for (JsonNode e : p) out.add(tokenIds(e, "prompt"));
        } else if (p.isArray() && !p.isEmpty()) {
            out.add(tokenIds(p, "prompt"));
        } else {
            throw ApiException.badParam("prompt", "'prompt' must be a non-empty string, array of strings, or array of token ids");
        }
        return out;
    }

    /** A non-empty array of in-vocabulary token ids; errors name {@code param}. */
    private int[] tokenIds(JsonNode arr, String param) {
        if (!arr.isArray() || arr.isEmpty()) throw ApiException.badParam(param, "'" + param + "' token ids must be a non-empty array of integers");
        int vocab = service.vocabSize();
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode e = arr.get(i);
            if (!e.isIntegralNumber() || e.asLong() < 0 || e.asLong() >= vocab) {
                throw ApiException.badParam(param, "token id " + e + " is not in the vocabulary (0.." + (vocab - 1) + ")");
            }
            ids[i] = e.asInt();
        }
        return ids;
    }

    // ---------------------------------------------------------------- chat

    private void chatCompletions(RoutingContext ctx, JsonNode body) {
        service.checkModel(JsonFields.string(body, "model"));
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.badParam("messages", "'messages' must be a non-empty array");
        }
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (JsonNode m : messages) msgs.add(message(m));
        List<Map<String, Object>> tools = null;
        JsonNode t = body.get("tools");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) throw ApiException.badParam("tools", "'tools' must be an array");
            tools = new ArrayList<>();
            for (JsonNode e : t) tools.add(Errors.JSON.convertValue(e, Map.class));
        }
        boolean addGenerationPrompt = JsonFields.bool(body, "add_generation_prompt", true);
        Tokenizer tok = service.tokenizer();
        String bos = tok.bos() >= 0 ? tok.piece(tok.bos()) : "";
        String eos = tok.eos() >= 0 ? tok.piece(tok.eos()) : "";
        String prompt = service.chatTemplate().render(msgs, tools, addGenerationPrompt, bos, eos, null);
        // The template writes BOS itself where the model wants one; special tokens in it are real tokens.
        int[] ids = tok.encode(prompt, false, true);
        GenerationOptions opts = GenerationOptions.read(body, -1, service.config().maxN(), true);
        Generation g = start(ctx, List.of(ids), opts, "chatcmpl-", true);
        if (opts.stream()) stream(ctx, g, true); else collect(ctx, g, true);
    }

    private static final java.util.Set<String> ROLES = java.util.Set.of("system", "developer", "user", "assistant", "tool");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> message(JsonNode m) {
        if (!m.isObject()) throw ApiException.badParam("messages", "each message must be an object");
        String role = JsonFields.string(m, "role");
        if (role == null || !ROLES.contains(role)) {
            throw ApiException.badParam("messages", "message role must be one of " + ROLES + ", got " + m.get("role"));
        }
        Map<String, Object> out = Errors.JSON.convertValue(m, Map.class);
        JsonNode content = m.get("content");
        if (content != null && content.isArray()) {
            // Content parts: text only (this server runs text models).
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(JsonFields.string(part, "type"))) {
                    throw ApiException.badParam("messages", "only text content parts are supported, got " + part.get("type"));
                }
                text.append(JsonFields.string(part, "text"));
            }
            out.put("content", text.toString());
        } else if (content != null && !content.isNull() && !content.isTextual()) {
            throw ApiException.badParam("messages", "message content must be a string, an array of text parts, or null");
        }
        return out;
    }

    // ---------------------------------------------------------------- running a generation

    /** The choices of one request: n per prompt, each its own engine sequence. */
    private final class Generation {
        final String id;
        final long created = System.currentTimeMillis() / 1000;
        final List<int[]> prompts;
        final GenerationOptions opts;
        final List<Multi<TokenEvent>> streams = new ArrayList<>();
        final List<Cancellable> subscriptions = new CopyOnWriteArrayList<>();

        Generation(String prefix, List<int[]> prompts, GenerationOptions opts) {
            this.id = prefix + UUID.randomUUID().toString().replace("-", "");
            this.prompts = prompts;
            this.opts = opts;
        }

        void cancel() {
            subscriptions.forEach(Cancellable::cancel);
        }
    }

    private Generation start(RoutingContext ctx, List<int[]> prompts, GenerationOptions opts, String prefix, boolean chat) {
        int ctxSize = service.contextSize();
        int vocab = service.vocabSize();
        opts.sampling().build().logitBias().keySet().forEach(id -> {
            if (id < 0 || id >= vocab) throw ApiException.badParam("logit_bias", "logit_bias token id " + id + " is not in the vocabulary (0.." + (vocab - 1) + ")");
        });
        for (int[] p : prompts) {
            if (p.length >= ctxSize) {
                throw ApiException.badParam(chat ? "messages" : "prompt", "This model's maximum context length is " + ctxSize
                        + " tokens. However, your prompt has " + p.length + " tokens, which leaves no room to generate.");
            }
            if (opts.maxTokens() >= 0 && p.length + opts.maxTokens() > ctxSize) {
                throw ApiException.badParam(chat ? "max_completion_tokens" : "max_tokens", "This model's maximum context length is " + ctxSize
                        + " tokens. However, you requested " + (p.length + opts.maxTokens()) + " tokens (" + p.length
                        + " in the prompt, " + opts.maxTokens() + " for the completion).");
            }
        }
        Generation g = new Generation(prefix, prompts, opts);
        for (int[] p : prompts) {
            for (int i = 0; i < opts.n(); i++) {
                int max = opts.maxTokens() >= 0 ? opts.maxTokens() : ctxSize - p.length;
                GenerationRequest r = new GenerationRequest(p, opts.samplingFor(i), max, opts.ignoreEos(), opts.stop(), opts.logprobs());
                g.streams.add(service.generate(r));
            }
        }
        ctx.response().closeHandler(v -> g.cancel());
        return g;
    }

    private ObjectNode usage(List<Choice> choices, Generation g) {
        int prompt = 0;
        for (int[] p : g.prompts) prompt += p.length;
        int completion = 0;
        for (Choice c : choices) completion += c.completionTokens;
        ObjectNode u = Errors.JSON.createObjectNode();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    private void collect(RoutingContext ctx, Generation g, boolean chat) {
        HttpServerResponse resp = ctx.response();
        List<Choice> choices = new ArrayList<>();
        AtomicInteger left = new AtomicInteger(g.streams.size());
        for (int i = 0; i < g.streams.size(); i++) {
            Choice c = new Choice(i, i / g.opts.n());
            choices.add(c);
            g.subscriptions.add(g.streams.get(i).subscribe().with(c::add, failure -> {
                g.cancel();
                fail(resp, failure);
            }, () -> {
                if (left.decrementAndGet() == 0) respond(resp, g, choices, chat);
            }));
        }
    }

    private void respond(HttpServerResponse resp, Generation g, List<Choice> choices, boolean chat) {
        if (resp.ended() || resp.closed()) return;
        ObjectNode o = Errors.JSON.createObjectNode();
        o.put("id", g.id);
        o.put("object", chat ? "chat.completion" : "text_completion");
        o.put("created", g.created);
        o.put("model", service.modelName());
        ArrayNode arr = o.putArray("choices");
        Tokenizer t = service.tokenizer();
        for (Choice c : choices) {
            ObjectNode ch = arr.addObject();
            ch.put("index", c.index);
            if (chat) {
                ObjectNode m = ch.putObject("message");
                m.put("role", "assistant");
                m.put("content", c.text.toString());
                if (g.opts.logprobs() >= 0) ch.set("logprobs", LogprobsJson.chat(t, c.events)); else ch.putNull("logprobs");
            } else {
                ch.put("text", c.text.toString());
                if (g.opts.logprobs() >= 0) ch.set("logprobs", LogprobsJson.completion(t, c.events, 0)); else ch.putNull("logprobs");
            }
            ch.put("finish_reason", c.finishReason);
        }
        o.set("usage", usage(choices, g));
        resp.setStatusCode(200).putHeader("Content-Type", "application/json").end(o.toString());
    }

    private static void fail(HttpServerResponse resp, Throwable failure) {
        if (failure instanceof ApiException a) Errors.send(resp, a);
        else Errors.send(resp, 500, "generation failed: " + failure.getMessage(), "server_error", null, null);
    }

    /** One SSE chunk per event and choice; a usage chunk when asked; then [DONE]. */
    private void stream(RoutingContext ctx, Generation g, boolean chat) {
        HttpServerResponse resp = ctx.response();
        Sse.start(resp);
        Tokenizer t = service.tokenizer();
        List<Choice> totals = new ArrayList<>();
        AtomicInteger left = new AtomicInteger(g.streams.size());
        for (int i = 0; i < g.streams.size(); i++) {
            Choice c = new Choice(i, i / g.opts.n());
            totals.add(c);
            if (chat) {
                ObjectNode first = chunk(g, true);
                ObjectNode ch = first.putArray("choices").addObject();
                ch.put("index", i);
                ch.putObject("delta").put("role", "assistant").put("content", "");
                ch.putNull("logprobs");
                ch.putNull("finish_reason");
                Sse.data(resp, first.toString());
            }
            final int index = i;
            g.subscriptions.add(g.streams.get(i).subscribe().with(e -> {
                c.completionTokens = e.completionTokens();
                if (e.text().isEmpty() && !e.isLast() && g.opts.logprobs() < 0) return;
                ObjectNode o = chunk(g, chat);
                ObjectNode ch = o.putArray("choices").addObject();
                ch.put("index", index);
                List<TokenEvent> one = e.token() >= 0 && e.logprobs() != null ? List.of(e) : List.of();
                if (chat) {
                    ObjectNode delta = ch.putObject("delta");
                    if (!e.text().isEmpty()) delta.put("content", e.text());
                    if (g.opts.logprobs() >= 0 && !one.isEmpty()) ch.set("logprobs", LogprobsJson.chat(t, one)); else ch.putNull("logprobs");
                } else {
                    ch.put("text", e.text());
                    if (g.opts.logprobs() >= 0 && !one.isEmpty()) ch.set("logprobs", LogprobsJson.completion(t, one, 0)); else ch.putNull("logprobs");
                }
                if (e.isLast()) ch.put("finish_reason", e.finishReason()); else ch.putNull("finish_reason");
                Sse.data(resp, o.toString());
            }, failure -> {
                g.cancel();
                fail(resp, failure);
            }, () -> {
                if (left.decrementAndGet() == 0) {
                    if (g.opts.includeUsage()) {
                        ObjectNode u = chunk(g, chat);
                        u.putArray("choices");
                        u.set("usage", usage(totals, g));
                        Sse.data(resp, u.toString());
                    }
                    Sse.done(resp);
                }
            }));
        }
    }

    private ObjectNode chunk(Generation g, boolean chat) {
        ObjectNode o = Errors.JSON.createObjectNode();
        o.put("id", g.id);
        o.put("object", chat ? "chat.completion.chunk" : "text_completion");
        o.put("created", g.created);
        o.put("model", service.modelName());
        return o;
    }

    // ---------------------------------------------------------------- models, tokenize, detokenize

    private void models(RoutingContext ctx, JsonNode ignored) {
        ObjectNode o = Errors.JSON.createObjectNode();
        o.put("object", "list");
        ObjectNode m = o.putArray("data").addObject();
        m.put("id", service.modelName());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "ember");
        m.put("max_model_len", service.contextSize());
        ctx.response().putHeader("Content-Type", "application/json").end(o.toString());
    }

    private void tokenize(RoutingContext ctx, JsonNode body) {
        service.checkModel(JsonFields.string(body, "model"));
        String prompt = JsonFields.string(body, "prompt");
        if (prompt == null) throw ApiException.badParam("prompt", "'prompt' (a string) is required");
        boolean special = JsonFields.bool(body, "add_special_tokens", true);
        int[] ids = service.tokenizer().encode(prompt, special, special);
        ObjectNode o = Errors.JSON.createObjectNode();
        o.put("count", ids.length);
        o.put("max_model_len", service.contextSize());
        ArrayNode arr = o.putArray("tokens");
        for (int id : ids) arr.add(id);
        ctx.response().putHeader("Content-Type", "application/json").end(o.toString());
    }

    private void detokenize(RoutingContext ctx, JsonNode body) {
        service.checkModel(JsonFields.string(body, "model"));
        JsonNode tokens = body.get("tokens");
        if (tokens == null || !tokens.isArray()) throw ApiException.badParam("tokens", "'tokens' (an array of token ids) is required");
        int[] ids = tokens.isEmpty() ? new int[0] : tokenIds(tokens, "tokens");
        ObjectNode o = Errors.JSON.createObjectNode();
        o.put("prompt", service.tokenizer().decode(ids));
        ctx.response().putHeader("Content-Type", "application/json").end(o.toString());
    }
}
