package dev.ember.model;

/**
 * N tokens for one forward pass, possibly from many sequences at different positions (prefill chunks
 * and decode steps mixed). Token i of sequence {@code tables[i]} sits at {@code positions[i]}; every
 * earlier position of that sequence must already be in the KV cache or earlier in this batch.
 *
 * @param tokens     [n] token ids
 * @param positions  [n] position of each token in its sequence
 * @param tables     [n] block table of each token's sequence (tokens of one sequence share one table)
 * @param logitRows  indices into the batch whose logits are wanted, in output order
 * @param exact      [n] true: compute the token with ggml's arithmetic (the decode kernels, the bits of single-row dots);
 *                   false: with the faster {@code FloatGemm} (prompt processing). Either way a token gets the same bits
 *                   whatever else is in the batch; callers choose by the token's role ({@link #exact(int, int)}), never
 *                   by the batch, so a sequence's logits do not depend on its batch (see ARCHITECTURE.md).
 */
public record Batch(int[] tokens, int[] positions, BlockTable[] tables, int[] logitRows, boolean[] exact) {

    /**
     * Prompts up to this many tokens are computed exactly: the float GEMM gains little on so few tokens, and small models
     * are sensitive to its last-bit differences (one activation rounding the other way moved a stories260K-q8_0 logit by
     * 0.065 against llama.cpp's).
     */
    public static final int EXACT_PROMPT_TOKENS = 16;

    /**
     * The path for the token at {@code position} of a sequence whose prompt has {@code promptLength} tokens: exact for
     * generated tokens (position ≥ promptLength, also when recomputed after a preemption) and for short prompts.
     */
    public static boolean exact(int position, int promptLength) {
        return position >= promptLength || promptLength <= EXACT_PROMPT_TOKENS;
    }

    public Batch {
        if (tokens.length != positions.length || tokens.length != tables.length || tokens.length != exact.length) {
            throw new IllegalArgumentException("batch arrays differ in length: " + tokens.length + " tokens, "
                    + positions.length + " positions, " + tables.length + " tables, " + exact.length + " flags");
        }
        for (int r : logitRows) {
            if (r < 0 || r >= tokens.length) throw new IllegalArgumentException("logit row " + r + " outside batch of " + tokens.length);
        }
    }

    /** A batch computed exactly (ggml's arithmetic) throughout. */
    public Batch(int[] tokens, int[] positions, BlockTable[] tables, int[] logitRows) {
        this(tokens, positions, tables, logitRows, filled(tokens.length, true));
    }

    private static boolean[] filled(int n, boolean v) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, v);
        return b;
    }

    public int size() {
        return tokens.length;
    }

    /** Checks that every token is a vocabulary id and every position has a KV slot in its table. */
    void checkRunnable(int vocabSize) {
        for (int i = 0; i < tokens.length; i++) {
            int pos = positions[i];
            if (pos < 0 || pos >= tables[i].capacity()) {
                throw new IllegalArgumentException("position " + pos + " of batch row " + i + " has no KV slot (capacity "
                        + tables[i].capacity() + ")");
            }
            int tok = tokens[i];
            if (tok < 0 || tok >= vocabSize) throw new IllegalArgumentException("token id " + tok + " outside vocab of " + vocabSize);
        }
    }

    /** One sequence's tokens at consecutive positions from {@code start}, exact, logits for the last one (or all). */
    public static Batch ofSequence(int[] tokens, int start, BlockTable table, boolean allLogits) {
        return ofSequence(tokens, start, table, allLogits, true);
    }

    /** As {@link #ofSequence(int[], int, BlockTable, boolean)}, computed exactly or by the float GEMM. */
    public static Batch ofSequence(int[] tokens, int start, BlockTable table, boolean allLogits, boolean exact) {
        int n = tokens.length;
        int[] pos = new int[n];
        BlockTable[] tables = new BlockTable[n];
        for (int i = 0; i < n; i++) {
            pos[i] = start + i;
            tables[i] = table;
        }
        int[] rows;
        if (allLogits) {
            rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = i;
        } else {
            rows = n == 0 ? new int[0] : new int[] {n - 1};
        }
        return new Batch(tokens, pos, tables, rows, filled(n, exact));
    }
}
