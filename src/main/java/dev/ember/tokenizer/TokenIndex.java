package dev.ember.tokenizer;

/**
 * Token text to id, for a vocabulary's {@code String[]} (or a BPE merge to its rank, for the merges'): an
 * open-addressing table of indexes (linear probing), with no boxed {@code Integer} or map entry per string.
 * Built once per model load, when the JVM is still cold, so it does the least work per string it can: one
 * hash and, mostly, one probe.
 */
final class TokenIndex {
    static final int NONE = -1;

    private final String[] text;
    private final int[] slots; // token id + 1, 0 = empty
    private final int mask;

    /**
     * Indexes {@code text}; a text that occurs twice is refused.
     *
     * @throws IllegalArgumentException naming the duplicate and both ids
     */
    TokenIndex(String[] text) {
        this(text, true);
    }

    /** Indexes {@code keys} where a key that occurs again keeps its first index (BPE merges: the lower rank). */
    static TokenIndex firstWins(String[] keys) {
        return new TokenIndex(keys, false);
    }

    private TokenIndex(String[] text, boolean refuseDuplicates) {
        this.text = text;
        int capacity = Integer.highestOneBit(Math.max(4, text.length) * 2 - 1) << 1; // load factor <= 1/2
        this.slots = new int[capacity];
        this.mask = capacity - 1;
        for (int id = 0; id < text.length; id++) {
            String t = text[id];
            int i = spread(t.hashCode()) & mask;
            boolean seen = false;
            for (int s; (s = slots[i]) != 0; i = (i + 1) & mask) {
                if (text[s - 1].equals(t)) {
                    if (refuseDuplicates) {
                        throw new IllegalArgumentException("duplicate token in vocabulary: '" + t + "' has ids " + (s - 1) + " and " + id);
                    }
                    seen = true;
                    break;
                }
            }
            if (!seen) slots[i] = id + 1;
        }
    }

    /** The id of the token whose text is {@code s}, or {@link #NONE}. */
    int id(String s) {
        int i = spread(s.hashCode()) & mask;
        for (int slot; (slot = slots[i]) != 0; i = (i + 1) & mask) {
            if (text[slot - 1].equals(s)) return slot - 1;
        }
        return NONE;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }
}
