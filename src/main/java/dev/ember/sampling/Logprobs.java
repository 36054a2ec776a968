package dev.ember.sampling;

import java.util.ArrayList;
import java.util.List;

/**
 * The log-probability of a chosen token and of the {@code top.size()} most likely alternatives, from the
 * log-softmax of the model's raw logits (before bias, penalties, truncation or temperature), which is what
 * OpenAI's {@code logprobs}/{@code top_logprobs} report.
 *
 * @param token   the chosen token
 * @param logprob its log-probability
 * @param top     the most likely tokens, best first (ties: lower id first)
 */
public record Logprobs(int token, float logprob, List<TokenLogprob> top) {

    public Logprobs {
        top = List.copyOf(top);
    }

    /**
     * Computes log-softmax over {@code logits} for {@code token} and the {@code topN} best tokens.
     * A {@code -Infinity} logit has log-probability {@code -Infinity}; NaN logits are left out of the
     * normalisation and of the top list.
     */
    public static Logprobs of(float[] logits, int token, int topN) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException("token = " + token + ": must be in [0, " + logits.length + ")");
        }
        if (topN < 0) throw new IllegalArgumentException("topN = " + topN + ": must be >= 0");
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) if (l > max) max = l;
        if (max == Float.NEGATIVE_INFINITY) throw new IllegalArgumentException("every logit is -Infinity or NaN");
        double sum = 0;
        for (float l : logits) if (l > Float.NEGATIVE_INFINITY) sum += Math.exp((double) l - max);
        double logZ = max + Math.log(sum);

        int n = 0;
        int k = Math.min(topN, logits.length);
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isNaN(logits[i])) keys[n++] = CandidateKeys.key(logits[i], i);
        }
        k = Math.min(k, n);
        if (k > 0 && k < n) CandidateKeys.selectBest(keys, n, k);
        CandidateKeys.sort(keys, k);
        List<TokenLogprob> top = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            int id = CandidateKeys.id(keys[j]);
            top.add(new TokenLogprob(id, (float) (logits[id] - logZ)));
        }
        return new Logprobs(token, (float) (logits[token] - logZ), top);
    }
}
