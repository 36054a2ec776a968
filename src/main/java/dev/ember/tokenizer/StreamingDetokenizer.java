package dev.ember.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns token ids, fed one at a time, into text as soon as it is complete UTF-8. A character whose
 * bytes are spread over several tokens (SentencePiece byte fallback, byte-level BPE) is held back
 * until its last byte arrives; {@link #flush()} releases whatever is left, with U+FFFD for an
 * unfinished sequence. Invalid bytes never pass through: they decode to U+FFFD.
 *
 * <p>The text is the concatenation of {@link Tokenizer#tokenBytes(int, boolean)}, which is what
 * llama.cpp's own streaming output (common_token_to_piece per token) prints. With
 * {@code stripFirstSpace}, the first token fed also follows {@code llama_detokenize}'s rule for
 * SentencePiece vocabularies: it loses one leading space, the prefix that encoding added, and a
 * BOS fed first takes that turn so the text after it keeps its space, exactly as llama_detokenize
 * treats a sequence that starts with BOS. llama.cpp's clean-up of spaces before punctuation
 * (GPT-2 style vocabularies) is never applied here, as in its streaming output.
 */
public final class StreamingDetokenizer {
    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private boolean removeSpace;
    private byte[] pending = new byte[8];
    private int pendingLength;

    /** Streams generated text the way llama.cpp prints it: nothing stripped, special tokens hidden. */
    public StreamingDetokenizer(Tokenizer tokenizer) {
        this(tokenizer, false, false);
    }

    /**
     * @param renderSpecial   show control tokens as their text
     * @param stripFirstSpace apply llama_detokenize's leading-space rule to the first token fed
     *                        (only has an effect when the tokenizer adds a space prefix)
     */
    public StreamingDetokenizer(Tokenizer tokenizer, boolean renderSpecial, boolean stripFirstSpace) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
        this.removeSpace = stripFirstSpace && tokenizer.addSpacePrefix();
    }

    /** Adds one token; returns the text that is now complete (possibly empty). */
    public String feed(int id) {
        byte[] piece = tokenizer.tokenBytes(id, renderSpecial);
        int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
        removeSpace = false;
        append(piece, skip, piece.length - skip);
        int complete = completePrefix();
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Returns the held-back bytes (an unfinished character becomes U+FFFD) and empties the buffer. */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** Bytes held back because they may be the start of a character still arriving. */
    public int pendingBytes() {
        return pendingLength;
    }

    private void append(byte[] b, int off, int len) {
        if (pendingLength + len > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + len));
        System.arraycopy(b, off, pending, pendingLength, len);
        pendingLength += len;
    }

    /**
     * Length of the prefix that can be decoded now: everything except a trailing lead byte followed
     * only by the continuation bytes it still lacks.
     */
    private int completePrefix() {
        int n = pendingLength;
        // a sequence is at most 4 bytes, so only the last 3 bytes can be an unfinished start
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = pending[n - back] & 0xFF;
            if ((b & 0xC0) == 0x80) continue; // continuation: look further back for its lead byte
            int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
