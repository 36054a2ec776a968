package dev.ember.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {
    private static void rejects(Consumer<SamplingParams.Builder> change, String... messageParts) {
        SamplingParams.Builder b = SamplingParams.builder();
        change.accept(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        for (String part : messageParts) assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
    }

    @Test
    void invalidValuesAreRejectedNamingParameterAndValue() {
        rejects(b -> b.temperature(-0.1), "temperature", "-0.1");
        rejects(b -> b.temperature(Double.NaN), "temperature", "NaN");
        rejects(b -> b.temperature(Double.POSITIVE_INFINITY), "temperature", "Infinity");
        rejects(b -> b.topK(-1), "top_k", "-1");
        rejects(b -> b.topP(0), "top_p", "0.0");
        rejects(b -> b.topP(1.5), "top_p", "1.5");
        rejects(b -> b.minP(-0.01), "min_p", "-0.01");
        rejects(b -> b.minP(1.01), "min_p", "1.01");
        rejects(b -> b.repetitionPenalty(0), "repetition_penalty", "0.0");
        rejects(b -> b.presencePenalty(2.5), "presence_penalty", "2.5");
        rejects(b -> b.frequencyPenalty(-3), "frequency_penalty", "-3.0");
        rejects(b -> b.penaltyLastN(-2), "penalty_last_n", "-2");
        rejects(b -> b.logitBias(Map.of(-5, 1f)), "logit_bias token", "-5");
        rejects(b -> b.logitBias(Map.of(5, Float.NaN)), "logit_bias[5]", "NaN");
        rejects(b -> b.logitBias(Map.of(5, Float.POSITIVE_INFINITY)), "logit_bias[5]", "Infinity");
    }

    @Test
    void defaultsAreLlamaCppsAndGreedyHasTemperatureZero() {
        SamplingParams d = SamplingParams.defaults();
        assertEquals(0.8, d.temperature());
        assertEquals(40, d.topK());
        assertEquals(0.95, d.topP());
        assertEquals(0.05, d.minP());
        assertEquals(1.0, d.repetitionPenalty());
        assertEquals(64, d.penaltyLastN());
        assertTrue(d.seed().isEmpty());
        assertTrue(SamplingParams.greedy().isGreedy());
        assertEquals(7, SamplingParams.builder().seed(7).build().seed().getAsLong());
    }

    @Test
    void logitBiasIsCopiedAndImmutable() {
        Map<Integer, Float> bias = new HashMap<>(Map.of(1, -1f));
        SamplingParams p = SamplingParams.builder().logitBias(bias).build();
        bias.put(2, 3f);
        assertEquals(Map.of(1, -1f), p.logitBias());
        assertThrows(UnsupportedOperationException.class, () -> p.logitBias().put(3, 1f));
        assertEquals(p, p.toBuilder().build());
    }
}
