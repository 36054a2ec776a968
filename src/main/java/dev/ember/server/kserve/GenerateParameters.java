package dev.ember.server.kserve;

import dev.ember.engine.GenerationRequest;
import dev.ember.sampling.SamplingParams;
import dev.ember.server.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The generation parameters of a KServe request (ModelInfer request parameters, or the generate
 * extension's {@code parameters} object), with OpenAI's names and defaults: max_tokens 16,
 * temperature 1, top_p 1, no top_k / min_p, penalties off. Values arrive loosely typed (JSON
 * numbers, gRPC int64/double/string params), so numbers given as strings are accepted.
 * Unknown names are refused rather than silently ignored; {@code stream} is accepted and ignored
 * (the endpoint decides whether to stream).
 */
final class GenerateParameters {
    static final int DEFAULT_MAX_TOKENS = 16;
    static final Set<String> NAMES = Set.of("max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
            "presence_penalty", "frequency_penalty", "seed", "stop", "ignore_eos", "stream");

    private GenerateParameters() {}

    static GenerationRequest toEngine(int[] prompt, Map<String, ?> params) {
        for (String name : params.keySet()) {
            if (!NAMES.contains(name)) {
                throw ApiException.badParam(name, "unknown parameter '" + name + "'; supported: " + String.join(", ", NAMES.stream().sorted().toList()));
            }
        }
        long maxTokens = integer(params, "max_tokens", DEFAULT_MAX_TOKENS);
        if (maxTokens < 0) throw ApiException.badParam("max_tokens", "max_tokens must be >= 0, got " + maxTokens);
        SamplingParams.Builder b = SamplingParams.builder()
                .temperature(number(params, "temperature", 1)).noTruncation()
                .topP(number(params, "top_p", 1))
                .topK((int) Math.clamp(integer(params, "top_k", 0), -1, Integer.MAX_VALUE))
                .minP(number(params, "min_p", 0))
                .repetitionPenalty(number(params, "repetition_penalty", 1))
                .presencePenalty(number(params, "presence_penalty", 0))
                .frequencyPenalty(number(params, "frequency_penalty", 0))
                .penaltyLastN(-1);
        if (params.get("seed") != null) b.seed(integer(params, "seed", 0));
        // SamplingParams and GenerationRequest throw IllegalArgumentException naming the bad value.
        // The engine ends a sequence when its context is full, so a huge max_tokens just means "until then".
        return new GenerationRequest(prompt, b.build(), (int) Math.min(maxTokens, Integer.MAX_VALUE),
                bool(params, "ignore_eos"), stop(params.get("stop")), -1);
    }

    private static double number(Map<String, ?> params, String name, double fallback) {
        Object v = params.get(name);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw ApiException.badParam(name, name + " must be a number, got " + v);
    }

    private static long integer(Map<String, ?> params, String name, long fallback) {
        Object v = params.get(name);
        if (v == null) return fallback;
        if (v instanceof Integer || v instanceof Long || v instanceof Short) return ((Number) v).longValue();
        double d = number(params, name, fallback);
        if (d != Math.rint(d) || Math.abs(d) > Long.MAX_VALUE / 2.0) throw ApiException.badParam(name, name + " must be an integer, got " + v);
        return (long) d;
    }

    private static boolean bool(Map<String, ?> params, String name) {
        Object v = params.get(name);
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) return Boolean.parseBoolean(s);
        throw ApiException.badParam(name, name + " must be a boolean, got " + v);
    }

    private static List<String> stop(Object v) {
        if (v == null) return List.of();
        if (v instanceof String s) return List.of(s);
        if (v instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            for (Object o : list) {
                if (!(o instanceof String s)) throw ApiException.badParam("stop", "stop must be a string or a list of strings");
                out.add(s);
            }
            return out;
        }
        throw ApiException.badParam("stop", "stop must be a string or a list of strings");
    }
}
