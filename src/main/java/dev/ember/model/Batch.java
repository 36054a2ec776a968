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
 */
public record Batch(int[] tokens, int[] positions, BlockTable[] tables, int[] logitRows) {
    public Batch {
        if (tokens.length != positions.length || tokens.length != tables.length) {
            throw new IllegalArgumentException("batch arrays differ in length: " + tokens.length + " tokens, "
                    + positions.length + " positions, " + tables.length + " tables");
        }
        for (int r : logitRows) {
            if (r < 0 || r >= tokens.length) throw new IllegalArgumentException("logit row " + r + " outside batch of " + tokens.length);
        }
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

    /** One sequence's tokens at consecutive positions from {@code start}, logits for the last one (or all). */
    public static Batch ofSequence(int[] tokens, int start, BlockTable table, boolean allLogits) {
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
        return new Batch(tokens, pos, tables, rows);
    }
}
