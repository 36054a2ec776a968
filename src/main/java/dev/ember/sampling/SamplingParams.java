package dev.ember.sampling;

import java.util.Collections;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * How to pick the next token. Names and meanings follow llama.cpp's {@code common_params_sampling};
 * presence and frequency penalties follow OpenAI. Validated on construction: a bad value throws
 * {@link IllegalArgumentException} naming the parameter and the value.
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it. Finite, ≥ 0.
 * @param topK              keep the k most likely tokens; 0 = off.
 * @param topP              keep the smallest most-likely set whose probability is ≥ p; 1 = off. In (0, 1].
 * @param minP              drop tokens whose probability is below {@code minP} × the top token's; 0 = off. In [0, 1].
 * @param repetitionPenalty llama.cpp's repeat penalty; 1 = off. Finite, > 0.
 * @param presencePenalty   subtracted once from every token seen in the window. In [-2, 2].
 * @param frequencyPenalty  subtracted per occurrence in the window. In [-2, 2].
 * @param penaltyLastN      how many of the latest tokens the penalties look at: 0 = none, -1 = the whole history.
 * @param seed              the PRNG seed; empty = a random one per sampler.
 * @param logitBias         token id → value added to its logit ({@code -Infinity} bans it). Finite or -Infinity.
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        int penaltyLastN,
        OptionalLong seed,
        Map<Integer, Float> logitBias) {

    /** llama.cpp's defaults ({@code common_params_sampling}). */
    public static final double DEFAULT_TEMPERATURE = 0.8;
    public static final int DEFAULT_TOP_K = 40;
    public static final double DEFAULT_TOP_P = 0.95;
    public static final double DEFAULT_MIN_P = 0.05;
    public static final int DEFAULT_PENALTY_LAST_N = 64;

    public SamplingParams {
        if (!(temperature >= 0) || !Double.isFinite(temperature)) throw bad("temperature", temperature, "must be finite and >= 0");
        if (topK < 0) throw bad("top_k", topK, "must be >= 0 (0 = off)");
        if (!(topP > 0 && topP <= 1)) throw bad("top_p", topP, "must be in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw bad("min_p", minP, "must be in [0, 1]");
        if (!(repetitionPenalty > 0) || !Double.isFinite(repetitionPenalty)) {
            throw bad("repetition_penalty", repetitionPenalty, "must be finite and > 0");
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) throw bad("presence_penalty", presencePenalty, "must be in [-2, 2]");
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) throw bad("frequency_penalty", frequencyPenalty, "must be in [-2, 2]");
        if (penaltyLastN < -1) throw bad("penalty_last_n", penaltyLastN, "must be >= -1 (-1 = whole history, 0 = off)");
        if (seed == null) seed = OptionalLong.empty();
        TreeMap<Integer, Float> bias = new TreeMap<>();
        if (logitBias != null) {
            for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
                Integer id = e.getKey();
                Float b = e.getValue();
                if (id == null || id < 0) throw bad("logit_bias token", id, "must be a token id >= 0");
                if (b == null || b.isNaN() || b == Float.POSITIVE_INFINITY) {
                    throw bad("logit_bias[" + id + "]", b, "must be finite or -Infinity");
                }
                bias.put(id, b);
            }
        }
        logitBias = Collections.unmodifiableMap(bias);
    }

    private static IllegalArgumentException bad(String name, Object value, String rule) {
        return new IllegalArgumentException(name + " = " + value + ": " + rule);
    }

    /** llama.cpp's default sampling (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties), random seed. */
    public static SamplingParams defaults() {
        return builder().build();
    }

    /** Always the most likely token (ties: the lowest id), after logit bias and penalties. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.penaltyLastN = penaltyLastN;
        b.seed = seed;
        b.logitBias = logitBias;
        return b;
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Starts from llama.cpp's defaults; {@link #build()} validates. */
    public static final class Builder {
        private double temperature = DEFAULT_TEMPERATURE;
        private int topK = DEFAULT_TOP_K;
        private double topP = DEFAULT_TOP_P;
        private double minP = DEFAULT_MIN_P;
        private double repetitionPenalty = 1;
        private double presencePenalty = 0;
        private double frequencyPenalty = 0;
        private int penaltyLastN = DEFAULT_PENALTY_LAST_N;
        private OptionalLong seed = OptionalLong.empty();
        private Map<Integer, Float> logitBias = Map.of();

        private Builder() {}

        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder penaltyLastN(int v) { penaltyLastN = v; return this; }
        public Builder seed(long v) { seed = OptionalLong.of(v); return this; }
        public Builder randomSeed() { seed = OptionalLong.empty(); return this; }
        public Builder logitBias(Map<Integer, Float> v) { logitBias = v; return this; }

        /** Turns off top-k, top-p and min-p, leaving plain temperature sampling. */
        public Builder noTruncation() { topK = 0; topP = 1; minP = 0; return this; }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, penaltyLastN, seed, logitBias);
        }
    }
}
