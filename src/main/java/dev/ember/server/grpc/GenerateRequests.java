package dev.ember.server.grpc;

import dev.ember.engine.GenerationRequest;
import dev.ember.sampling.SamplingParams;
import dev.ember.server.ApiException;
import dev.ember.server.ModelService;
import dev.ember.server.grpc.v1.GenerateRequest;
import dev.ember.server.grpc.v1.SamplingOptions;

/**
 * Turns an ember.v1 GenerateRequest into the engine's request. Defaults follow OpenAI rather than
 * llama.cpp, so a client that sets nothing gets plain sampling from the model's distribution:
 * max_tokens 0 means 16, temperature 1, top_p 1, no top-k and no min-p, penalties off (and, when
 * set, applied over the whole history as OpenAI does), a random seed. Text prompts are tokenized
 * with the model's BOS rule and with special-token text parsed, as llama-server's /completion does.
 */
final class GenerateRequests {
    static final int DEFAULT_MAX_TOKENS = 16;

    private GenerateRequests() {}

    static GenerationRequest toEngine(GenerateRequest r, ModelService service) {
        service.checkModel(r.getModel());
        if (!r.getPrompt().isEmpty() && r.getPromptTokensCount() > 0) {
            throw ApiException.badParam("prompt", "give prompt or prompt_tokens, not both");
        }
        int[] prompt = r.getPromptTokensCount() > 0
                ? r.getPromptTokensList().stream().mapToInt(Integer::intValue).toArray()
                : service.tokenizer().encode(r.getPrompt(), true, true);
        if (r.getMaxTokens() < 0) throw ApiException.badParam("max_tokens", "max_tokens must be >= 0 (0 = 16), got " + r.getMaxTokens());
        int maxTokens = r.getMaxTokens() == 0 ? DEFAULT_MAX_TOKENS : r.getMaxTokens();
        return new GenerationRequest(prompt, sampling(r.getSampling()), maxTokens, r.getIgnoreEos(), r.getStopList(), -1);
    }

    /** Throws IllegalArgumentException naming the parameter when a value is out of range. */
    static SamplingParams sampling(SamplingOptions o) {
        SamplingParams.Builder b = SamplingParams.builder().temperature(1).noTruncation().penaltyLastN(-1);
        if (o.hasTemperature()) b.temperature(o.getTemperature());
        if (o.hasTopP()) b.topP(o.getTopP());
        if (o.hasTopK()) b.topK(o.getTopK());
        if (o.hasMinP()) b.minP(o.getMinP());
        if (o.hasRepetitionPenalty()) b.repetitionPenalty(o.getRepetitionPenalty());
        if (o.hasPresencePenalty()) b.presencePenalty(o.getPresencePenalty());
        if (o.hasFrequencyPenalty()) b.frequencyPenalty(o.getFrequencyPenalty());
        if (o.hasSeed()) b.seed(o.getSeed());
        return b.build();
    }
}
