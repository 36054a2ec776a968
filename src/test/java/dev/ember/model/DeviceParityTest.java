package dev.ember.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.compute.BackendUnavailableException;
import dev.ember.compute.Backends;
import dev.ember.engine.GenerationResult;
import dev.ember.engine.Generator;
import dev.ember.sampling.SamplingParams;
import dev.ember.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel backends' forward pass ({@link DeviceModelRunner}) against llama.cpp's outputs, with the
 * engine-core tolerances: every fixture reference in one batch and token by token, and stories260K's greedy
 * tokens, on each device backend. A backend this machine cannot run is skipped with its reason. The
 * {@code java} backend (the kernels run as Java: the reference the ops tests hold the devices to, not a way
 * to serve) runs one prompt per stories260K model.
 */
class DeviceParityTest {
    static Stream<Arguments> cases() {
        // -Dember.parity.models=PREFIX limits the models (perf/gpu-check.sh needs none: its fixtures folder holds only
        // the models the kit carries).
        String only = System.getProperty("ember.parity.models", "");
        List<Arguments> out = new ArrayList<>();
        for (String b : Backends.NAMES) {
            for (Path ref : Fixtures.references()) {
                if (!ref.getFileName().toString().startsWith(only)) continue;
                out.add(Arguments.of(b, ref));
            }
        }
        return out.stream();
    }

    /** Device backends on every reference. */
    static Stream<Arguments> deviceCases() {
        return cases().filter(a -> !a.get()[0].equals("java"));
    }

    /**
     * The Java executor runs every work item of a barrier kernel as a virtual thread (about a second per
     * stories260K token): one prompt per stories260K model, in one batch.
     */
    static Stream<Arguments> javaCases() {
        return cases().filter(a -> a.get()[0].equals("java") && name(a).startsWith("stories260K") && name(a).contains("once_upon"));
    }

    static Stream<Arguments> batchCases() {
        return Stream.concat(javaCases(), deviceCases());
    }

    static Stream<Arguments> greedyCases() {
        return deviceCases().filter(a -> name(a).startsWith("stories260K"));
    }

    private static String name(Arguments a) {
        return ((Path) a.get()[1]).getFileName().toString();
    }

    private static Generator open(Model m, String backend, int context) {
        try {
            return new Generator(m, context, 2, backend);
        } catch (BackendUnavailableException e) {
            Assumptions.abort(backend + " backend unavailable: " + e.getMessage());
            throw e;
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("batchCases")
    void promptLogitsInOneBatch(String backend, Path ref) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        int[] prompt = Fixtures.ints(r.get("tokens"));
        try (Model m = Model.load(Fixtures.model(file)); Generator g = open(m, backend, prompt.length + 1)) {
            float[] logits = g.promptLogits(prompt, true);
            LlamaCppParityTest.checkPositions(r, logits, m.config().vocabSize(), LlamaCppParityTest.tolerance(file), backend + " batch");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("deviceCases")
    void promptLogitsTokenByToken(String backend, Path ref) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        int[] prompt = Fixtures.ints(r.get("tokens"));
        try (Model m = Model.load(Fixtures.model(file)); Generator g = open(m, backend, prompt.length + 1)) {
            float[] all = g.decodeLogits(prompt);
            LlamaCppParityTest.checkPositions(r, all, m.config().vocabSize(), LlamaCppParityTest.tolerance(file), backend + " decode");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("greedyCases")
    void greedyTokensMatchLlamaCpp(String backend, Path ref) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        int[] prompt = Fixtures.ints(r.get("tokens"));
        int[] expected = Fixtures.ints(r.get("greedy").get("tokens"));
        float[] margins = Fixtures.floats(r.get("greedy").get("top1_minus_top2"));
        try (Model m = Model.load(Fixtures.model(file)); Generator g = open(m, backend, prompt.length + expected.length + 1)) {
            GenerationResult res = g.generate(prompt, SamplingParams.greedy(), expected.length, true, t -> {});
            int[] got = res.tokens();
            for (int i = 0; i < expected.length; i++) {
                if (got[i] != expected[i]) {
                    int fragile = LlamaCppParityTest.firstFragileStep(margins, LlamaCppParityTest.tolerance(file));
                    assertTrue(fragile >= 0 && i >= fragile, backend + " " + file + ": greedy token " + i + " is " + got[i]
                            + ", llama.cpp chose " + expected[i] + "; first fragile step " + fragile);
                    return;
                }
            }
            assertArrayEquals(expected, got);
        }
    }
}
