package dev.ember.sampling;

import java.security.SecureRandom;
import java.util.Map;

/**
 * Picks the next token of one sequence from the model's logits. Create one per sequence: it owns its PRNG
 * and its scratch arrays (vocabulary-sized, allocated once here), so {@link #sample} allocates nothing.
 * Not thread-safe.
 *
 * <p>The chain is llama.cpp's default ({@code common_sampler}: logit bias, then
 * {@code penalties;top_k;top_p;min_p;temperature}, then {@code dist}):
 * <ol>
 *   <li><b>logit bias</b>: {@code logit += bias}; a bias of -Infinity bans the token.</li>
 *   <li><b>penalties</b>, over the last {@code penaltyLastN} tokens of the history, for each distinct token seen
 *       {@code c} times there: repetition as llama.cpp does it ({@code logit <= 0 ? logit * r : logit / r}), then
 *       {@code logit -= c * frequency + presence} (OpenAI's definition).</li>
 *   <li><b>temperature 0</b> stops here: the argmax, ties to the lowest id.</li>
 *   <li><b>top-k</b>: keep the k highest logits (ties: lower ids first).</li>
 *   <li><b>top-p</b>: softmax of what is left (no temperature yet, as in llama.cpp); keep the shortest
 *       most-likely prefix whose probability sum is ≥ p.</li>
 *   <li><b>min-p</b>: keep tokens with {@code logit >= maxLogit + ln(minP)}, i.e. probability ≥ minP × the top one's.</li>
 *   <li><b>temperature</b>: divide the survivors' logits by T, softmax, draw one with the PRNG.</li>
 * </ol>
 * Tokens whose logit is -Infinity or NaN after steps 1–2 are never chosen.
 *
 * <p>The PRNG is {@link Xoshiro256} seeded from {@link SamplingParams#seed()}, or from a {@link SecureRandom}
 * when there is none ({@link #seed()} tells which), so a seed gives the same tokens on every JVM.
 * llama.cpp uses mt19937 with {@code std::discrete_distribution}, so the same seed does not give llama.cpp's tokens.
 */
public final class Sampler {
    private final SamplingParams params;
    private final int vocabSize;
    private final long seed;
    private final Xoshiro256 rng;

    private final int[] biasIds;
    private final float[] biasValues;
    private final float repeat, presence, frequency;
    private final boolean penalize;

    // Scratch, reused for every token.
    private final float[] work;
    private final long[] keys;
    private final double[] weights;
    private final int[] counts;

    public Sampler(SamplingParams params, int vocabSize) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize = " + vocabSize + ": must be > 0");
        this.params = params;
        this.vocabSize = vocabSize;
        this.seed = params.seed().isPresent() ? params.seed().getAsLong() : new SecureRandom().nextLong();
        this.rng = new Xoshiro256(seed);

        Map<Integer, Float> bias = params.logitBias();
        biasIds = new int[bias.size()];
        biasValues = new float[bias.size()];
        int i = 0;
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            if (e.getKey() >= vocabSize) {
                throw new IllegalArgumentException("logit_bias token = " + e.getKey() + ": not in the vocabulary of " + vocabSize);
            }
            biasIds[i] = e.getKey();
            biasValues[i++] = e.getValue();
        }
        repeat = (float) params.repetitionPenalty();
        presence = (float) params.presencePenalty();
        frequency = (float) params.frequencyPenalty();
        penalize = params.penaltyLastN() != 0 && (repeat != 1 || presence != 0 || frequency != 0);

        work = new float[vocabSize];
        keys = new long[vocabSize];
        weights = new double[vocabSize];
        counts = penalize ? new int[vocabSize] : null;
    }

    public SamplingParams params() {
        return params;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The seed actually in use: the given one, or the random one drawn for this sampler. */
    public long seed() {
        return seed;
    }

    /** Samples from {@code logits} given every token so far (prompt and generated) in {@code history}. */
    public int sample(float[] logits, int[] history) {
        return sample(logits, history, history.length);
    }

    /**
     * Samples from {@code logits} given the first {@code historyLength} tokens of {@code history}, so a caller can
     * keep one growing buffer. {@code logits} is not modified.
     */
    public int sample(float[] logits, int[] history, int historyLength) {
        adjust(logits, history, historyLength, work);
        if (params.isGreedy()) return argmax(work);

        int n = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabSize; i++) {
            float l = work[i];
            if (l > Float.NEGATIVE_INFINITY) { // also false for NaN
                keys[n++] = CandidateKeys.key(l, i);
                if (l > max) max = l;
            }
        }
        if (n == 0) throw noCandidate();

        int k = params.topK();
        if (k > 0 && k < n) {
            CandidateKeys.selectBest(keys, n, k);
            n = k;
        }

        // top-p needs the softmax denominator over everything top-k kept; min-p may then drop the tail
        // before sorting, because both filters keep a prefix of the same order: the result is the shorter one.
        boolean topP = params.topP() < 1;
        double z = 0;
        if (topP) for (int j = 0; j < n; j++) z += Math.exp((double) work[CandidateKeys.id(keys[j])] - max);

        if (params.minP() > 0) {
            float threshold = max + (float) Math.log(params.minP());
            int kept = 0;
            for (int j = 0; j < n; j++) {
                if (work[CandidateKeys.id(keys[j])] >= threshold) keys[kept++] = keys[j];
            }
            n = kept; // never 0: the max passes
        }

        if (topP) {
            CandidateKeys.sort(keys, n);
            double cum = 0;
            for (int j = 0; j < n; j++) {
                cum += Math.exp((double) work[CandidateKeys.id(keys[j])] - max) / z;
                if (cum >= params.topP()) {
                    n = j + 1;
                    break;
                }
            }
        }

        // Subtract the max before dividing by T, so a tiny T cannot overflow.
        double t = params.temperature();
        double total = 0;
        for (int j = 0; j < n; j++) {
            double w = Math.exp(((double) work[CandidateKeys.id(keys[j])] - max) / t);
            weights[j] = w;
            total += w;
        }
        double u = rng.nextDouble() * total;
        for (int j = 0; j < n; j++) {
            u -= weights[j];
            if (u < 0) return CandidateKeys.id(keys[j]);
        }
        // Rounding left u at or just above 0: take the last candidate with any weight.
        for (int j = n - 1; j >= 0; j--) if (weights[j] > 0) return CandidateKeys.id(keys[j]);
        return CandidateKeys.id(keys[0]);
    }

    /**
     * Writes {@code logits} after logit bias and penalties (steps 1–2 of the chain) into {@code out}, which may be
     * {@code logits} itself to adjust in place.
     */
    public void adjust(float[] logits, int[] history, int historyLength, float[] out) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("logits has " + logits.length + " entries, vocabulary has " + vocabSize);
        }
        if (out.length != vocabSize) throw new IllegalArgumentException("out has " + out.length + " entries, vocabulary has " + vocabSize);
        if (historyLength < 0 || historyLength > history.length) {
            throw new IllegalArgumentException("historyLength = " + historyLength + ": history has " + history.length + " tokens");
        }
        if (out != logits) System.arraycopy(logits, 0, out, 0, vocabSize);
        for (int i = 0; i < biasIds.length; i++) out[biasIds[i]] += biasValues[i];
        if (!penalize) return;

        int lastN = params.penaltyLastN();
        int start = lastN < 0 ? 0 : Math.max(0, historyLength - lastN);
        for (int i = start; i < historyLength; i++) {
            int t = history[i];
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException("history[" + i + "] = " + t + ": not in the vocabulary of " + vocabSize);
            }
        }
        for (int i = start; i < historyLength; i++) counts[history[i]]++;
        // Second pass: apply once per distinct token and reset its count, leaving counts all zero again.
        for (int i = start; i < historyLength; i++) {
            int t = history[i];
            int c = counts[t];
            if (c == 0) continue;
            counts[t] = 0;
            float l = out[t];
            if (repeat != 1) l = l <= 0 ? l * repeat : l / repeat;
            out[t] = l - ((float) c * frequency + presence);
        }
    }

    /** Index of the largest value, ties to the lowest index; NaN and -Infinity never win. */
    static int argmax(float[] values) {
        int best = -1;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < values.length; i++) {
            if (values[i] > max) {
                max = values[i];
                best = i;
            }
        }
        if (best < 0) throw noCandidate();
        return best;
    }

    private static IllegalStateException noCandidate() {
        return new IllegalStateException("no token can be sampled: every logit is -Infinity or NaN after bias and penalties");
    }
}
