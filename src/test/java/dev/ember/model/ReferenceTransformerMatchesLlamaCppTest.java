package dev.ember.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

/**
 * The test-side {@link ReferenceTransformer} is itself right: on the fixture models it can read (F32 and
 * F16 llama files) its logits equal llama.cpp's, top-20 at every prompt position and the full last row,
 * within the fixtures' tolerances (1e-3 for F32; 1e-2 for F16, where llama.cpp rounds activations to F16).
 */
class ReferenceTransformerMatchesLlamaCppTest {

    static List<Path> references() {
        return Fixtures.references().stream()
                .filter(p -> p.getFileName().toString().matches(".*-f(32|16)__.*\\.json"))
                .toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void referenceLogitsMatchLlamaCpp(Path ref) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        double tol = file.endsWith("-f32.gguf") ? 1e-3 : 1e-2;
        int[] tokens = Fixtures.ints(r.get("tokens"));
        double[][] logits = ReferenceTransformer.load(Fixtures.model(file)).forward(tokens);
        JsonNode tops = r.get("logits_top");
        for (int p = 0; p < tops.size(); p++) {
            for (JsonNode pair : tops.get(p)) {
                check(file, p, pair.get(0).asInt(), logits[p][pair.get(0).asInt()], pair.get(1).asDouble(), tol);
            }
        }
        float[] last = Fixtures.floats(r.get("logits_full_last"));
        for (int t = 0; t < last.length; t++) check(file, tokens.length - 1, t, logits[tokens.length - 1][t], last[t], tol);
    }

    private static void check(String file, int pos, int id, double got, double want, double tol) {
        if (Math.abs(got - want) > tol) {
            throw new AssertionError(file + ": reference logit " + id + " at position " + pos + " is " + got
                    + ", llama.cpp " + want + " (|Δ| " + Math.abs(got - want) + " > " + tol + ")");
        }
    }
}
