package dev.ember.server;

import dev.ember.chat.ChatTemplate;
import dev.ember.engine.Engine;
import dev.ember.engine.GenerationRequest;
import dev.ember.engine.TokenEvent;
import dev.ember.hub.HubReference;
import dev.ember.hub.HubSettings;
import dev.ember.hub.ModelLocator;
import dev.ember.model.Model;
import dev.ember.tokenizer.Tokenizer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one served model: loads it at start-up, owns the {@link Engine}, and is the only way the API
 * surfaces reach the engine. Admission control lives here: beyond {@code ember.max-queue} outstanding
 * requests new ones are refused with {@link OverloadedException} (HTTP 429 / RESOURCE_EXHAUSTED).
 */
@ApplicationScoped
public class ModelService {
    private static final Logger LOG = Logger.getLogger(ModelService.class);

    private final EmberConfig config;
    private final ServerMetrics metrics;
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile Model model;
    private volatile Engine engine;
    private volatile ChatTemplate chatTemplate;
    private volatile String chatTemplateError;
    private volatile String name;

    public ModelService(EmberConfig config, ServerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent ev) {
        String ref = config.model().orElseThrow(() -> new IllegalStateException(
                "no model configured: pass --model FILE to ./ember serve (or set ember.model / EMBER_MODEL)"));
        Path path = HubReference.isReference(ref)
                ? ModelLocator.resolve(ref, HubSettings.of(config.hubUrl(), config.cacheDir(), config.hubOffline(), System::getenv))
                : Path.of(ref);
        long t0 = System.nanoTime();
        Model m = Model.load(path);
        Engine.Config ec = Engine.Config.defaults(m.config(), config.ctxSize(), config.threads()).withLimits(
                config.maxNumSeqs(), config.maxNumBatchedTokens(), config.kvCacheTokens())
                .withPrefixCaching(config.enablePrefixCaching());
        if (config.kvCacheMemory().isPresent()) ec = ec.withKvCacheMemory(Engine.Config.parseMemory(config.kvCacheMemory().get()));
        Engine e = new Engine(m, ec);
        this.name = config.modelName().orElse(path.getFileName().toString().replaceFirst("\\.gguf$", ""));
        loadTemplate(m);
        this.model = m;
        this.engine = e;
        metrics.bind(this);
        LOG.infof("serving %s as '%s' (%s, %d layers, context %d) loaded in %d ms", path, name, m.config().arch(),
                m.config().numLayers(), e.config().contextSize(), (System.nanoTime() - t0) / 1_000_000);
    }

    private void loadTemplate(Model m) {
        String source = null;
        if (config.chatTemplate().isPresent()) {
            try {
                source = Files.readString(Path.of(config.chatTemplate().get()));
            } catch (IOException ex) {
                throw new IllegalStateException("cannot read chat template " + config.chatTemplate().get() + ": " + ex.getMessage(), ex);
            }
        } else if (m.file().metadata().has("tokenizer.chat_template")) {
            source = m.file().metadata().getString("tokenizer.chat_template");
        }
        if (source == null) {
            chatTemplateError = "the model has no chat template (tokenizer.chat_template); start the server with --chat-template FILE";
            return;
        }
        chatTemplate = ChatTemplate.compile(source);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (engine != null) engine.close();
        if (model != null) model.close();
    }

    public boolean ready() {
        return engine != null;
    }

    public String modelName() {
        return name;
    }

    public Model model() {
        return model;
    }

    public Engine engine() {
        return engine;
    }

    public Tokenizer tokenizer() {
        return model.tokenizer();
    }

    public int contextSize() {
        return engine.config().contextSize();
    }

    public EmberConfig config() {
        return config;
    }

    /** The chat template, or an error naming why there is none. */
    public ChatTemplate chatTemplate() {
        if (chatTemplate == null) throw new ApiException(400, "invalid_request_error", null, chatTemplateError);
        return chatTemplate;
    }

    /** Checks that a request names the served model (an empty or absent name means it). */
    public void checkModel(String requested) {
        if (requested != null && !requested.isEmpty() && !requested.equals(name)) {
            throw new ApiException(404, "invalid_request_error", "model", "The model '" + requested + "' does not exist (serving '" + name + "')", "model_not_found");
        }
    }

    /**
     * Submits a generation, or refuses it when too many are outstanding. The stream reports metrics
     * and releases its admission slot however it ends (completion, failure or client cancellation).
     */
    public Multi<TokenEvent> generate(GenerationRequest request) {
        if (outstanding.incrementAndGet() > config.maxQueue() + config.maxNumSeqs()) {
            outstanding.decrementAndGet();
            throw new OverloadedException("the server is overloaded: " + config.maxQueue() + " requests already waiting; retry later");
        }
        Multi<TokenEvent> stream;
        try {
            stream = engine.submit(request);
        } catch (RuntimeException e) {
            outstanding.decrementAndGet();
            throw e;
        }
        return metrics.observe(stream, request).onTermination().invoke(outstanding::decrementAndGet);
    }
}
