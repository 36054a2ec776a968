package dev.ember.model;

import dev.ember.compute.cpu.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Architecture features that have no llama.cpp fixture (qwen3 q/k norms, Llama 3 rope_freqs, linear rope
 * scaling, partial rotary dims, head_dim ≠ dim/heads, the mistral name) give Ember logits equal to
 * {@link ReferenceTransformer}'s on tiny random-weight models, in one prefill batch and token by token
 * (the two attention summation orders); and each feature changes the logits by far
 * more than the tolerance, so a forward pass that ignored it would fail.
 *
 * <p>Tolerance 1e-4 absolute: Ember runs in float (sums of 64–96 products, ggml's float rope angles built
 * by repeated multiplication, ggml's vector exp in softmax and SiLU), the reference in double with exact
 * angles. Activations and logits here are of order 1, so float rounding accounts for ~1e-6; anything
 * structurally wrong (a missed norm, a wrong pair, a wrong angle) moves logits by 1e-2 or more.
 */
class ArchVariantsMatchReferenceTest {
    static final double TOL = 1e-4;
    /** A feature must move some logit by at least this much (100× the tolerance). */
    static final double MATTERS = 1e-2;
    static final int[] PROMPT = {1, 5, 17, 3, 30, 9, 22};

    private static WorkerPool pool;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPool() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    @Test
    void qwen3QkNormMatchesReferenceForward() {
        TinyModelGguf spec = TinyModelGguf.llama().withArch("qwen3").withQkNorm(true);
        Path with = spec.write(dir, "qwen3");
        assertMatchesReference(with);
        assertFeatureMatters(with, spec.withQkNorm(false).write(dir, "qwen3-no-qk-norm"));
    }

    @Test
    void llamaRopeFreqFactorsMatchReferenceForward() {
        TinyModelGguf spec = TinyModelGguf.llama().withRopeFreqs(true);
        Path with = spec.write(dir, "llama3-freqs");
        assertMatchesReference(with);
        assertFeatureMatters(with, spec.withRopeFreqs(false).write(dir, "llama-no-freqs"));
    }

    @Test
    void linearRopeScalingMatchesReferenceForward() {
        TinyModelGguf spec = TinyModelGguf.llama().withScaling("linear", 4f);
        Path with = spec.write(dir, "linear4");
        try (Model m = Model.load(with)) {
            assertEquals(0.25f, m.config().ropeFreqScale());
        }
        assertMatchesReference(with);
        assertFeatureMatters(with, spec.withScaling(null, 1f).write(dir, "unscaled"));
    }

    @Test
    void partialRotaryDimsMatchReferenceForward() {
        // Half of each 16-wide head rotates, in both pairings; dims 8..15 pass through.
        for (String arch : new String[] {"llama", "qwen2"}) {
            TinyModelGguf spec = TinyModelGguf.llama().withArch(arch).withRopeDims(8);
            Path partial = spec.write(dir, arch + "-rope8");
            try (Model m = Model.load(partial)) {
                assertEquals(8, m.config().ropeDims());
                assertEquals(16, m.config().headDim());
            }
            assertMatchesReference(partial);
            assertFeatureMatters(partial, spec.withRopeDims(16).write(dir, arch + "-rope16"));
            // With rope_freqs sized ropeDims / 2 = 4 as well.
            assertMatchesReference(spec.withRopeFreqs(true).write(dir, arch + "-rope8-freqs"));
        }
    }

    @Test
    void headDimOtherThanDimOverHeadsWorks() {
        // dim 64, 4 heads of 24: q is 96 wide, attn_output maps 96 back to 64; with qk norms of 24.
        TinyModelGguf spec = TinyModelGguf.llama().withArch("qwen3").withQkNorm(true).withHeadDim(24);
        Path wide = spec.write(dir, "qwen3-hd24");
        try (Model m = Model.load(wide)) {
            assertEquals(24, m.config().headDim());
            assertEquals(96, m.config().qDim());
            assertEquals(48, m.config().kvDim());
        }
        assertMatchesReference(wide);
        // And a llama with head dim 24 and partial rotary 16 (not dim / heads, not the head dim).
        assertMatchesReference(TinyModelGguf.llama().withHeadDim(24).withRopeDims(16).write(dir, "llama-hd24-rope16"));
    }

    @Test
    void mistralArchLoadsAsLlama() {
        TinyModelGguf spec = TinyModelGguf.llama().withArch("mistral").withTied(true);
        Path mistral = spec.write(dir, "mistral");
        try (Model m = Model.load(mistral)) {
            assertEquals("mistral", m.config().arch());
            assertFalse(m.config().ropeNeox(), "mistral rotates adjacent pairs, as llama does");
        }
        assertMatchesReference(mistral);
        // Bit for bit the llama forward of the same weights.
        assertArrayEquals(ember(spec.withArch("llama").write(dir, "as-llama")), ember(mistral));
        // The pairing matters: the same weights under a NEOX arch give other logits.
        assertFeatureMatters(mistral, spec.withArch("qwen2").write(dir, "as-qwen2"));
    }

    @Test
    void qwen2NeoxAndBiasesMatchReferenceForward() {
        TinyModelGguf spec = TinyModelGguf.llama().withArch("qwen2").withBiases(true).withTied(true);
        Path qwen2 = spec.write(dir, "qwen2");
        try (Model m = Model.load(qwen2)) {
            assertTrue(m.config().ropeNeox());
            assertTrue(m.weights().layers()[0].bq() != null);
        }
        assertMatchesReference(qwen2);
        assertFeatureMatters(qwen2, spec.withBiases(false).write(dir, "qwen2-no-bias"));
        assertFeatureMatters(qwen2, spec.withArch("llama").write(dir, "qwen2-as-llama"));
    }

    /** Ember's one-batch prefill logits of PROMPT, all positions: [n * vocab]. */
    static float[] ember(Path gguf) {
        return ember(gguf, false);
    }

    /** PROMPT's logits at all positions, [n * vocab], from one prefill batch or from n one-token decode steps. */
    static float[] ember(Path gguf, boolean tokenByToken) {
        try (Model m = Model.load(gguf)) {
            ModelConfig c = m.config();
            F32KvCache cache = F32KvCache.forTokens(c.numLayers(), c.kvDim(), 16, PROMPT.length);
            BlockTable table = new BlockTable(cache);
            table.reserve(PROMPT.length);
            ModelRunner runner = new ModelRunner(c, m.weights(), cache, pool);
            if (!tokenByToken) return runner.forward(Batch.ofSequence(PROMPT, 0, table, true));
            int vocab = c.vocabSize();
            float[] all = new float[PROMPT.length * vocab];
            for (int p = 0; p < PROMPT.length; p++) {
                float[] l = runner.forward(Batch.ofSequence(new int[] {PROMPT[p]}, p, table, false, true));
                System.arraycopy(l, 0, all, p * vocab, vocab);
            }
            return all;
        }
    }

    /** Prefill and token-by-token decode both give the reference's logits at every position. */
    static void assertMatchesReference(Path gguf) {
        double[][] want = ReferenceTransformer.load(gguf).forward(PROMPT);
        assertMatches(gguf, ember(gguf, false), want, "prefill");
        assertMatches(gguf, ember(gguf, true), want, "decode");
    }

    private static void assertMatches(Path gguf, float[] got, double[][] want, String mode) {
        int vocab = want[0].length;
        assertEquals(PROMPT.length * vocab, got.length);
        double worst = 0, scale = 0;
        for (int p = 0; p < PROMPT.length; p++) {
            for (int t = 0; t < vocab; t++) {
                double d = Math.abs(got[p * vocab + t] - want[p][t]);
                scale = Math.max(scale, Math.abs(want[p][t]));
                if (d > TOL) {
                    throw new AssertionError(gguf.getFileName() + " (" + mode + "): logit " + t + " at position " + p + " is "
                            + got[p * vocab + t] + ", reference " + want[p][t] + " (|Δ| " + d + " > " + TOL + ")");
                }
                worst = Math.max(worst, d);
            }
        }
        // Logits of order 1 make the absolute tolerance meaningful.
        assertTrue(scale > 0.5 && scale < 20, gguf.getFileName() + ": largest |logit| " + scale);
        System.out.printf("[arch] %s (%s): max |Δlogit| %.2e (largest |logit| %.2f)%n", gguf.getFileName(), mode, worst, scale);
    }

    /** Ember's logits for the model without the feature differ from those with it by ≥ MATTERS somewhere. */
    static void assertFeatureMatters(Path with, Path without) {
        float[] a = ember(with), b = ember(without);
        double diff = 0;
        for (int i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
        assertTrue(diff >= MATTERS, without.getFileName() + " vs " + with.getFileName() + ": max |Δlogit| only " + diff);
        System.out.printf("[arch] %s vs %s: feature moves logits by up to %.3f%n", with.getFileName(), without.getFileName(), diff);
    }
}
