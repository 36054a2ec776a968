package dev.ember.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.sampling.SamplingParams;
import dev.ember.server.ApiException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Iterator;

/**
 * The generation parameters shared by /v1/completions and /v1/chat/completions, read and validated
 * from the request body with OpenAI's names and defaults (temperature 1, top_p 1, no top-k / min-p).
 *
 * @param maxTokens   max_tokens / max_completion_tokens; -1 = until the context is full
 * @param seed        base seed, or null; choice i of n uses seed + i
 * @param logprobs    alternatives per token to report, -1 = none
 */
record GenerationOptions(SamplingParams.Builder sampling, Long seed, int maxTokens, List<String> stop, int n,
                         boolean ignoreEos, boolean stream, boolean includeUsage, int logprobs) {

    static GenerationOptions read(JsonNode body, int defaultMaxTokens, int maxN, boolean chat) {
        int maxTokens = JsonFields.integer(body, "max_tokens", Integer.MIN_VALUE);
        if (chat && JsonFields.present(body, "max_completion_tokens")) maxTokens = JsonFields.integer(body, "max_completion_tokens", 0);
        if (maxTokens == Integer.MIN_VALUE) maxTokens = defaultMaxTokens;
        else if (maxTokens < 0) throw ApiException.badParam(chat && JsonFields.present(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                "max_tokens must be >= 0, got " + maxTokens);

        double temperature = JsonFields.number(body, "temperature", 1.0);
        if (temperature < 0 || temperature > 2) throw ApiException.badParam("temperature", "temperature must be in [0, 2], got " + temperature);
        double topP = JsonFields.number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw ApiException.badParam("top_p", "top_p must be in (0, 1], got " + topP);
        int topK = JsonFields.integer(body, "top_k", -1);
        if (topK < -1) throw ApiException.badParam("top_k", "top_k must be -1 (off) or >= 0, got " + topK);
        double minP = JsonFields.number(body, "min_p", 0);
        if (minP < 0 || minP > 1) throw ApiException.badParam("min_p", "min_p must be in [0, 1], got " + minP);
        double presence = JsonFields.number(body, "presence_penalty", 0);
        if (presence < -2 || presence > 2) throw ApiException.badParam("presence_penalty", "presence_penalty must be in [-2, 2], got " + presence);
        double frequency = JsonFields.number(body, "frequency_penalty", 0);
        if (frequency < -2 || frequency > 2) throw ApiException.badParam("frequency_penalty", "frequency_penalty must be in [-2, 2], got " + frequency);
        double repetition = JsonFields.number(body, "repetition_penalty", 1.0);
        if (!(repetition > 0)) throw ApiException.badParam("repetition_penalty", "repetition_penalty must be > 0, got " + repetition);
        Long seed = JsonFields.present(body, "seed") ? JsonFields.longValue(body, "seed") : null;

        int n = JsonFields.integer(body, "n", 1);
        if (n < 1 || n > maxN) throw ApiException.badParam("n", "n must be in [1, " + maxN + "], got " + n);
        List<String> stop = JsonFields.strings(body, "stop");
        if (stop.size() > 16) throw ApiException.badParam("stop", "at most 16 stop strings are allowed, got " + stop.size());

        int logprobs = -1;
        if (chat) {
            if (JsonFields.bool(body, "logprobs", false)) {
                logprobs = JsonFields.integer(body, "top_logprobs", 0);
                if (logprobs < 0 || logprobs > 20) throw ApiException.badParam("top_logprobs", "top_logprobs must be in [0, 20], got " + logprobs);
            } else if (JsonFields.present(body, "top_logprobs")) {
                throw ApiException.badParam("top_logprobs", "top_logprobs needs logprobs: true");
            }
        } else if (JsonFields.present(body, "logprobs")) {
            logprobs = JsonFields.integer(body, "logprobs", 0);
            if (logprobs < 0 || logprobs > 20) throw ApiException.badParam("logprobs", "logprobs must be in [0, 20], got " + logprobs);
        }

        Map<Integer, Float> bias = new HashMap<>();
        JsonNode lb = body.get("logit_bias");
        if (lb != null && !lb.isNull()) {
            if (!lb.isObject()) throw ApiException.badParam("logit_bias", "logit_bias must be an object of token id to bias");
            for (Iterator<Map.Entry<String, JsonNode>> it = lb.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw ApiException.badParam("logit_bias", "logit_bias keys must be token ids, got '" + e.getKey() + "'");
                }
                if (!e.getValue().isNumber() || Math.abs(e.getValue().doubleValue()) > 100) {
                    throw ApiException.badParam("logit_bias", "logit_bias values must be numbers in [-100, 100]");
                }
                bias.put(id, e.getValue().floatValue());
            }
        }

        boolean stream = JsonFields.bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiException.badParam("stream_options", "stream_options must be an object");
            includeUsage = JsonFields.bool(so, "include_usage", false);
        }

        SamplingParams.Builder b = SamplingParams.builder()
                .temperature(temperature).topP(topP).topK(Math.max(0, topK)).minP(minP)
                .presencePenalty(presence).frequencyPenalty(frequency).repetitionPenalty(repetition)
                .penaltyLastN(-1).logitBias(bias);
        return new GenerationOptions(b, seed, maxTokens, stop, n, JsonFields.bool(body, "ignore_eos", false), stream,
                includeUsage, logprobs);
    }

    /** Sampling parameters of choice {@code index}: its own seed so n choices differ but stay reproducible. */
    SamplingParams samplingFor(int index) {
        SamplingParams.Builder b = sampling.build().toBuilder();
        if (seed != null) b.seed(seed + index);
        else b.randomSeed();
        return b.build();
    }
}
