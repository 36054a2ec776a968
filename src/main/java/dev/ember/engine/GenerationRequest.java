package dev.ember.engine;

import dev.ember.sampling.SamplingParams;

import java.util.List;

/**
 * One generation as the engine sees it: already tokenized, already validated by the caller.
 *
 * @param promptTokens prompt ids (BOS included when the model adds it)
 * @param params       sampling parameters
 * @param maxTokens    most tokens to generate
 * @param ignoreEos    keep going past end-of-generation tokens
 * @param stop         stop strings: generation ends when the text contains one; it is not emitted
 * @param logprobs     top alternatives to report per token, or -1 for no log-probabilities
 */
public record GenerationRequest(int[] promptTokens, SamplingParams params, int maxTokens, boolean ignoreEos,
                                List<String> stop, int logprobs) {
    public GenerationRequest {
        if (promptTokens.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        if (maxTokens < 0) throw new IllegalArgumentException("max_tokens must be >= 0, got " + maxTokens);
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
    }

    public static GenerationRequest greedy(int[] promptTokens, int maxTokens) {
        return new GenerationRequest(promptTokens, SamplingParams.greedy(), maxTokens, false, List.of(), -1);
    }
}
