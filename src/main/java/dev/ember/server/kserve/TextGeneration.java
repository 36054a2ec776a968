package dev.ember.server.kserve;

import dev.ember.engine.GenerationRequest;
import dev.ember.engine.TokenEvent;
import dev.ember.server.ApiException;
import dev.ember.server.ModelService;
import dev.ember.server.grpc.Completion;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;

/**
 * The one model as KServe sees it: a text-in, text-out model with a BYTES input {@code text_input} and a
 * BYTES output {@code text_output}, served as version "1". Both KServe surfaces (gRPC ModelInfer, REST
 * generate/infer) resolve the model and submit through here.
 */
@ApplicationScoped
public class TextGeneration {
    static final String INPUT = "text_input";
    static final String OUTPUT = "text_output";
    static final String VERSION = "1";
    static final String PLATFORM = "ember_gguf";

    private final ModelService service;

    public TextGeneration(ModelService service) {
        this.service = service;
    }

    String modelName() {
        return service.modelName();
    }

    boolean ready() {
        return service.ready();
    }

    /** Checks the model name and version; an empty version means the served one. */
    void checkModel(String name, String version) {
        service.checkModel(name);
        if (version != null && !version.isEmpty() && !version.equals(VERSION)) {
            throw new ApiException(404, "invalid_request_error", "model_version", "model '" + service.modelName()
                    + "' has no version '" + version + "' (serving version " + VERSION + ")", "model_not_found");
        }
    }

    /** Runs under a lease: waits for the model when it is (re)loading, refused while the server drains. */
    Multi<TokenEvent> stream(String text, Map<String, ?> parameters) {
        return service.leased(() -> {
            // Text is tokenized with the model's BOS rule and special-token text parsed, like the ember.v1 API.
            GenerationRequest request = GenerateParameters.toEngine(service.tokenizer().encode(text, true, true), parameters);
            return service.generate(request);
        });
    }

    Uni<Completion> complete(String text, Map<String, ?> parameters) {
        return Uni.createFrom().deferred(() -> Completion.collect(stream(text, parameters)));
    }
}
