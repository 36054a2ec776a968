package dev.ember.model;

import dev.ember.compute.cpu.WorkerPool;
import dev.ember.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A batch mixing a prefill chunk of one sequence with decode steps of others gives each sequence the
 * logits it gets when run alone.
 */
class MixedBatchTest {

    @Test
    void mixedPrefillAndDecodeRowsEqualSoloRuns() {
        try (Model m = Model.load(Fixtures.model("stories260K-f32.gguf")); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = m.config();
            int vocab = c.vocabSize();
            int[] a = {1, 403, 407, 261, 378, 432, 383}; // "Once upon a time" + two greedy tokens
            int[] b = {1, 450, 2233 % vocab, 300, 301};
            int[] d = {1, 320};

            // Solo: each sequence alone, all positions.
            float[] soloA = solo(m, pool, a);
            float[] soloB = solo(m, pool, b);
            float[] soloD = solo(m, pool, d);

            F32KvCache cache = F32KvCache.forTokens(c.numLayers(), c.kvDim(), 4, 64);
            ModelRunner runner = new ModelRunner(c, m.weights(), cache, pool);
            BlockTable ta = new BlockTable(cache), tb = new BlockTable(cache), td = new BlockTable(cache);
            ta.reserve(a.length);
            tb.reserve(b.length);
            td.reserve(d.length);
            // Step 1: prefill a[0..4) and b[0..3) together.
            runner.forward(new Batch(new int[] {a[0], b[0], a[1], b[1], a[2], b[2], a[3]},
                    new int[] {0, 0, 1, 1, 2, 2, 3},
                    new BlockTable[] {ta, tb, ta, tb, ta, tb, ta}, new int[0]));
            // Step 2: the rest of a as a chunk, b's decode steps, and all of d, in a scrambled order.
            float[] logits = runner.forward(new Batch(
                    new int[] {b[3], a[4], d[0], a[5], d[1], a[6], b[4]},
                    new int[] {3, 4, 0, 5, 1, 6, 4},
                    new BlockTable[] {tb, ta, td, ta, td, ta, tb},
                    new int[] {1, 3, 5, 0, 6, 4}));
            assertRow(soloA, 4, logits, 0, vocab, "a@4");
            assertRow(soloA, 5, logits, 1, vocab, "a@5");
            assertRow(soloA, 6, logits, 2, vocab, "a@6");
            assertRow(soloB, 3, logits, 3, vocab, "b@3");
            assertRow(soloB, 4, logits, 4, vocab, "b@4");
            assertRow(soloD, 1, logits, 5, vocab, "d@1");
        }
    }

    private static float[] solo(Model m, WorkerPool pool, int[] tokens) {
        ModelConfig c = m.config();
        F32KvCache cache = F32KvCache.forTokens(c.numLayers(), c.kvDim(), 16, tokens.length);
        BlockTable t = new BlockTable(cache);
        t.reserve(tokens.length);
        return new ModelRunner(c, m.weights(), cache, pool).forward(Batch.ofSequence(tokens, 0, t, true));
    }

    private static void assertRow(float[] solo, int pos, float[] mixed, int row, int vocab, String what) {
        for (int i = 0; i < vocab; i++) {
            assertEquals(solo[pos * vocab + i], mixed[row * vocab + i], 1e-5f, what + " token " + i);
        }
    }
}
