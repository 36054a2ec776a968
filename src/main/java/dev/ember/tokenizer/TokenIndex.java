package dev.ember.tokenizer;

/**
 * Token text to id, for a vocabulary's {@code String[]}: an open-addressing table of ids (linear probing),
 * with no boxed {@code Integer} or map entry per token. Built once per model load, when the JVM is still
 * cold, so it does the least work per token it can: one hash and, mostly, one probe.
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
        this.text = text;
        int capacity = Integer.highestOneBit(Math.max(4, text.length) * 2 - 1) << 1; // load factor <= 1/2
        this.slots = new int[capacity];
        this.mask = capacity - 1;
        for (int id = 0; id < text.length; id++) {
            String t = text[id];
            int i = spread(t.hashCode()) & mask;
            for (int s; (s = slots[i]) != 0; i = (i + 1) & mask) {
                if (text[s - 1].equals(t)) {
                    throw new IllegalArgumentException("duplicate token in vocabulary: '" + t + "' has ids " + (s - 1) + " and " + id);
                }
            }
            slots[i] = id + 1;
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
