package dev.ember.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.compute.cpu.WorkerPool;
import dev.ember.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Logits and greedy tokens against llama.cpp's own outputs (fixtures/reference/*.json), for every
 * fixture model and prompt, through one-batch prefill and through token-by-token decode.
 */
class LlamaCppParityTest {
    private static WorkerPool pool;

    @BeforeAll
    static void startPool() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    static List<Path> references() {
        return Fixtures.references();
    }

    /** Tolerance on |Δlogit| by the model file's type (fixtures README, "Suggested tolerances"). */
    static float tolerance(String modelFile) {
        if (modelFile.endsWith("-f32.gguf")) return 1e-3f;
        if (modelFile.endsWith("-f16.gguf")) return 1e-2f;
        return 5e-2f;
    }

    private record Run(Model model, ModelRunner runner, BlockTable table) implements AutoCloseable {
        static Run of(String modelFile, int tokens) {
            Model m = Model.load(Fixtures.model(modelFile));
            ModelConfig c = m.config();
            F32KvCache cache = F32KvCache.forTokens(c.numLayers(), c.kvDim(), 16, tokens);
            BlockTable t = new BlockTable(cache);
            t.reserve(tokens);
            return new Run(m, new ModelRunner(c, m.weights(), cache, pool), t);
        }

        @Override
        public void close() {
            model.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void promptLogitsMatchLlamaCppInOneBatch(Path ref) {
        promptInOneBatch(ref, true);
    }

    /** The prompt in one forward pass, exact or through the float GEMM (then only on models with dim ≥ 256). */
    private static void promptInOneBatch(Path ref, boolean exact) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        int[] prompt = Fixtures.ints(r.get("tokens"));
        try (Run run = Run.of(file, prompt.length)) {
            int dim = run.model.config().dim();
            org.junit.jupiter.api.Assumptions.assumeTrue(exact || dim >= 256, file + ": dim " + dim + " < 256");
            float[] logits = run.runner.forward(Batch.ofSequence(prompt, 0, run.table, true, exact));
            checkPositions(r, logits, run.model.config().vocabSize(), tolerance(file), exact ? "batch" : "float GEMM");
        }
    }

    /**
     * The prompt path of long prompts ({@code FloatGemm}, not ggml's bits) against llama.cpp, for models of realistic width
     * (dim ≥ 256: the synthetic fixtures). On stories260K (dim 64) its last-bit differences flip the rounding of re-quantized
     * activations (Q8_0 / F16 steps are 1/127 of a block's largest value / 2^-11) and move logits by up to 0.2 (Q8_0),
     * so prompts that short stay exact ({@link Batch#EXACT_PROMPT_TOKENS}); measured in ARCHITECTURE.md.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void promptLogitsThroughFloatGemmMatchLlamaCpp(Path ref) {
        promptInOneBatch(ref, false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void promptLogitsMatchLlamaCppTokenByToken(Path ref) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        int[] prompt = Fixtures.ints(r.get("tokens"));
        try (Run run = Run.of(file, prompt.length)) {
            int vocab = run.model.config().vocabSize();
            float[] all = new float[prompt.length * vocab];
            for (int p = 0; p < prompt.length; p++) {
                float[] l = run.runner.forward(Batch.ofSequence(new int[] {prompt[p]}, p, run.table, false, true));
                System.arraycopy(l, 0, all, p * vocab, vocab);
            }
            checkPositions(r, all, vocab, tolerance(file), "decode");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void greedyTokensMatchLlamaCpp(Path ref) {
        JsonNode r = Fixtures.json(ref);
        String file = r.get("model").asText();
        float tol = tolerance(file);
        int[] prompt = Fixtures.ints(r.get("tokens"));
        JsonNode greedy = r.get("greedy");
        int[] expected = Fixtures.ints(greedy.get("tokens"));
        float[] margins = Fixtures.floats(greedy.get("top1_minus_top2"));
        try (Run run = Run.of(file, prompt.length + expected.length)) {
            int vocab = run.model.config().vocabSize();
            float[] logits = run.runner.forward(Batch.ofSequence(prompt, 0, run.table, false));
            int[] got = new int[expected.length];
            for (int i = 0; i < expected.length; i++) {
                got[i] = argmax(logits, 0, vocab);
                if (got[i] != expected[i]) {
                    // A flip is allowed only from a step whose llama.cpp margin is below the tolerance.
                    int fragile = firstFragileStep(margins, tol);
                    assertTrue(fragile >= 0 && i >= fragile, file + ": greedy token " + i + " is " + got[i] + ", llama.cpp chose "
                            + expected[i] + " (margin " + margins[i] + "); first fragile step " + fragile);
                    System.out.println("[parity] " + ref.getFileName() + ": greedy diverges at step " + i
                            + " after fragile step " + fragile + " (margin " + margins[fragile] + " < " + tol + ")");
                    return;
                }
                logits = run.runner.forward(Batch.ofSequence(new int[] {got[i]}, prompt.length + i, run.table, false, true));
            }
            assertArrayEquals(expected, got);
        }
    }

    static int firstFragileStep(float[] margins, float tol) {
        for (int i = 0; i < margins.length; i++) if (margins[i] < tol) return i;
        return -1;
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }

    /** Top-20 ids and values at every prompt position, and the full last-position logits. */
    static void checkPositions(JsonNode r, float[] logits, int vocab, float tol, String mode) {
        String name = r.get("model").asText() + " \"" + r.get("prompt").asText() + "\" (" + mode + ")";
        JsonNode tops = r.get("logits_top");
        int n = tops.size();
        assertEquals(n * vocab, logits.length, name + ": logits size");
        float worst = 0;
        for (int p = 0; p < n; p++) {
            JsonNode top = tops.get(p);
            Set<Integer> refIds = new HashSet<>();
            float refLast = (float) top.get(top.size() - 1).get(1).asDouble();
            for (JsonNode pair : top) {
                int id = pair.get(0).asInt();
                float want = (float) pair.get(1).asDouble();
                float got = logits[p * vocab + id];
                worst = Math.max(worst, Math.abs(got - want));
                if (Math.abs(got - want) > tol) {
                    fail(name + ": position " + p + " token " + id + " logit " + got + ", llama.cpp " + want + " (tol " + tol + ")");
                }
                refIds.add(id);
            }
            // Our top 20 may differ from llama.cpp's only by ties at the boundary (within the tolerance).
            for (int id : topK(logits, p * vocab, vocab, top.size())) {
                if (!refIds.contains(id) && logits[p * vocab + id] > refLast + 2 * tol) {
                    fail(name + ": position " + p + " token " + id + " (logit " + logits[p * vocab + id]
                            + ") is in our top " + top.size() + " but not llama.cpp's (whose last is " + refLast + ")");
                }
            }
        }
        float[] last = Fixtures.floats(r.get("logits_full_last"));
        assertEquals(vocab, last.length);
        for (int i = 0; i < vocab; i++) {
            float d = Math.abs(last[i] - logits[(n - 1) * vocab + i]);
            worst = Math.max(worst, d);
            if (d > tol) fail(name + ": last position token " + i + " logit " + logits[(n - 1) * vocab + i] + ", llama.cpp " + last[i]);
        }
        System.out.printf("[parity] %s: max |dlogit| %.3g (tol %.0g)%n", name, worst, tol);
    }

    static int[] topK(float[] a, int off, int n, int k) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add(i);
        ids.sort((x, y) -> Float.compare(a[off + y], a[off + x]));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = ids.get(i);
        return out;
    }
}
