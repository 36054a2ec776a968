package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.GgmlDot;
import dev.ember.compute.cpu.Ops;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.Attention;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Attention kernel against the CPU backend's attention ({@code model.ModelRunner.attention}, reproduced in
 * {@link #reference}: ggml_vec_dot_f32 scores, {@link Ops#softmax} with the scale applied inside, P·V in 32 fma lanes
 * then GGML_F32x8_REDUCE), bit for bit, over one mixed batch: a 5-token prefill chunk, a decode token at position 599
 * (38 blocks, more chunks of 8 positions than work items), and a 3-token chunk crossing a block boundary, each
 * sequence with its own scrambled block table over a cache whose other slots hold unrelated values. GQA with
 * heads / kvHeads = 4; headDim 64, 48 (a dot tail past 32), 16 (tail only) and 128 (two dimensions per item).
 */
class AttentionOpTest {
    private static final KernelRef KERNEL = KernelRef.of(Attention.class, "attention");

    private static final int BLOCK_SIZE = 16;
    private static final int NUM_BLOCKS = 48;
    private static final int MAX_CONTEXT = 640;
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;

    /** The batch's tokens in order: {sequence, position}. Sequences 0, 1, 2 hold 5, 600 and 18 positions. */
    private static final int[][] TOKENS = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {1, 599}, {2, 15}, {2, 16}, {2, 17}};
    private static final int[] SEQUENCE_LENGTHS = {5, 600, 18};

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void matchesReferenceOverScrambledBlockTables(String name) {
        Backend backend = TestBackends.get(name);
        for (int headDim : new int[] {64, 48, 16, 128}) {
            Random rnd = new Random(12 + headDim);
            int tokens = TOKENS.length;
            int kvDim = KV_HEADS * headDim;
            int qDim = HEADS * headDim;
            float scale = (float) (1 / Math.sqrt(headDim));

            // block tables: a shuffled deal of block ids, the sequences' tables back to back
            List<Integer> free = new ArrayList<>();
            for (int b = 0; b < NUM_BLOCKS; b++) free.add(b);
            Collections.shuffle(free, rnd);
            int[][] tables = new int[SEQUENCE_LENGTHS.length][];
            List<Integer> blocks = new ArrayList<>();
            int[] tableStart = new int[SEQUENCE_LENGTHS.length];
            for (int s = 0; s < tables.length; s++) {
                tables[s] = new int[(SEQUENCE_LENGTHS[s] + BLOCK_SIZE - 1) / BLOCK_SIZE];
                tableStart[s] = blocks.size();
                for (int i = 0; i < tables[s].length; i++) {
                    tables[s][i] = free.removeFirst();
                    blocks.add(tables[s][i]);
                }
            }
            int[] blockStart = new int[tokens]; // [tokens]
            int[] positions = new int[tokens];  // [tokens]
            for (int t = 0; t < tokens; t++) {
                blockStart[t] = tableStart[TOKENS[t][0]];
                positions[t] = TOKENS[t][1];
            }

            float[] q = gaussian(rnd, tokens * qDim);                       // [tokens, heads × headDim]
            float[] kCache = gaussian(rnd, NUM_BLOCKS * BLOCK_SIZE * kvDim); // [numSlots, kvHeads × headDim]
            float[] vCache = gaussian(rnd, NUM_BLOCKS * BLOCK_SIZE * kvDim); // [numSlots, kvHeads × headDim]
            float[] expected = reference(q, kCache, vCache, tables, headDim, scale);

            try (DeviceBuffer dq = DeviceArrays.upload(backend, q);
                 DeviceBuffer dk = DeviceArrays.upload(backend, kCache);
                 DeviceBuffer dv = DeviceArrays.upload(backend, vCache);
                 DeviceBuffer db = DeviceArrays.upload(backend, blocks.stream().mapToInt(Integer::intValue).toArray());
                 DeviceBuffer dbs = DeviceArrays.upload(backend, blockStart);
                 DeviceBuffer dp = DeviceArrays.upload(backend, positions);
                 DeviceBuffer scores = backend.allocate(4L * tokens * HEADS * MAX_CONTEXT);
                 DeviceBuffer out = backend.allocate(4L * tokens * qDim)) {
                backend.launch(KERNEL, Attention.launch(tokens, HEADS), dq, dk, dv, db, dbs, dp, scores, out,
                        HEADS, KV_HEADS, headDim, BLOCK_SIZE, MAX_CONTEXT, scale);
                Tolerance.assertBitExact(expected, DeviceArrays.floats(backend, out, tokens * qDim), name + " headDim=" + headDim);
            }
        }
    }

    /**
     * [tokens, heads × headDim] in ModelRunner.attention's float orders: s[p] = ggml_vec_dot_f32(K[p], q),
     * Ops.softmax(s, scale), out[d] = GGML_F32x8_REDUCE of 32 fma lanes, position p in lane p mod 32.
     */
    private static float[] reference(float[] q, float[] kCache, float[] vCache, int[][] tables, int headDim, float scale) {
        int tokens = TOKENS.length;
        int kvDim = KV_HEADS * headDim;
        int qDim = HEADS * headDim;
        int lanes = GgmlDot.LANES;
        float[] out = new float[tokens * qDim];
        float[] dotLanes = new float[lanes];
        float[] acc = new float[headDim * lanes]; // [headDim, lanes]
        for (int t = 0; t < tokens; t++) {
            int[] table = tables[TOKENS[t][0]];
            int len = TOKENS[t][1] + 1;
            for (int h = 0; h < HEADS; h++) {
                int kvOff = (h / (HEADS / KV_HEADS)) * headDim;
                int qOff = t * qDim + h * headDim;
                float[] s = new float[len];
                for (int pos = 0; pos < len; pos++) {
                    int slot = table[pos / BLOCK_SIZE] * BLOCK_SIZE + pos % BLOCK_SIZE;
                    s[pos] = GgmlDot.vecDotF32(kCache, slot * kvDim + kvOff, q, qOff, headDim, dotLanes);
                }
                Ops.softmax(s, 0, len, scale);
                java.util.Arrays.fill(acc, 0f);
                for (int pos = 0; pos < len; pos++) {
                    int slot = table[pos / BLOCK_SIZE] * BLOCK_SIZE + pos % BLOCK_SIZE;
                    int lane = pos & (lanes - 1);
                    for (int d = 0; d < headDim; d++) {
                        acc[d * lanes + lane] = Math.fma(vCache[slot * kvDim + kvOff + d], s[pos], acc[d * lanes + lane]);
                    }
                }
                for (int d = 0; d < headDim; d++) out[qOff + d] = GgmlDot.reduce32(acc, d * lanes);
            }
        }
        return out;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
