package dev.ember.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LogprobsTest {
    @Test
    void logprobsAreLogSoftmaxOfRawLogits() {
        float[] logits = {1f, 3f, 3f, 2f, Float.NEGATIVE_INFINITY};
        double z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2);
        Logprobs lp = Logprobs.of(logits, 3, 3);
        assertEquals(3, lp.token());
        assertEquals((float) (2 - Math.log(z)), lp.logprob(), 1e-6);
        assertEquals(List.of(1, 2, 3), lp.top().stream().map(TokenLogprob::token).toList(), "ties to the lower id first");
        assertEquals((float) (3 - Math.log(z)), lp.top().get(0).logprob(), 1e-6);
        assertEquals(Float.NEGATIVE_INFINITY, Logprobs.of(logits, 4, 0).logprob());
    }

    @Test
    void probabilitiesSumToOneAndTopNIsCapped() {
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i) * 4;
        Logprobs lp = Logprobs.of(logits, 0, 100);
        assertEquals(50, lp.top().size());
        double sum = 0;
        for (TokenLogprob t : lp.top()) sum += Math.exp(t.logprob());
        assertEquals(1.0, sum, 1e-5);
        for (int i = 1; i < lp.top().size(); i++) {
            assertEquals(true, lp.top().get(i - 1).logprob() >= lp.top().get(i).logprob());
        }
        assertThrows(IllegalArgumentException.class, () -> Logprobs.of(logits, 50, 1));
    }

    @Test
    void logprobsDoNotChangeTheLogits() {
        float[] logits = {0.5f, -2f, 7f};
        float[] copy = logits.clone();
        Logprobs.of(logits, 1, 2);
        assertEquals(java.util.Arrays.toString(copy), java.util.Arrays.toString(logits));
    }
}
