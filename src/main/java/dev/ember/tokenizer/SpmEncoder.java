package dev.ember.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE as llama.cpp's {@code llm_tokenizer_spm} runs it: start from single code points,
 * repeatedly merge the adjacent pair whose concatenation is the highest-scoring vocabulary token
 * (leftmost on ties), then emit each symbol as its token, re-splitting symbols that are not tokens
 * along the merges that built them, and falling back to byte tokens.
 */
final class SpmEncoder {
    private final Vocab vocab;

    SpmEncoder(Vocab vocab) {
        this.vocab = vocab;
    }

    /** One symbol: a slice of the text, linked to its neighbours; len 0 once merged away. */
    private static final class Symbol {
        int prev;
        int next;
        final int start;
        int len;

        Symbol(int prev, int next, int start, int len) {
            this.prev = prev;
            this.next = next;
            this.start = start;
            this.len = len;
        }
    }

    private record Bigram(int left, int right, float score, int size) {}

    /** Appends the tokens of {@code text} (spaces already escaped to U+2581) to {@code out}. */
    void encode(String text, IntList out) {
        List<Symbol> symbols = new ArrayList<>();
        for (int off = 0, index = 0; off < text.length(); index++) {
            int len = Character.charCount(text.codePointAt(off));
            int next = off + len == text.length() ? -1 : index + 1;
            symbols.add(new Symbol(index - 1, next, off, len));
            off += len;
        }
        // highest score first; on equal scores the leftmost pair
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        Map<String, long[]> revMerge = new HashMap<>();
        for (int i = 1; i < symbols.size(); i++) tryAddBigram(text, symbols, queue, revMerge, i - 1, i);

        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            Symbol left = symbols.get(bigram.left);
            Symbol right = symbols.get(bigram.right);
            if (left.len == 0 || right.len == 0 || left.len + right.len != bigram.size) continue; // stale
            left.len += right.len;
            right.len = 0;
            left.next = right.next;
            if (right.next >= 0) symbols.get(right.next).prev = bigram.left;
            tryAddBigram(text, symbols, queue, revMerge, left.prev, bigram.left);
            tryAddBigram(text, symbols, queue, revMerge, bigram.left, left.next);
        }
        if (symbols.isEmpty()) return;
        for (int i = 0; i != -1; i = symbols.get(i).next) resegment(text, symbols, revMerge, symbols.get(i), out);
    }

    private void tryAddBigram(String text, List<Symbol> symbols, PriorityQueue<Bigram> queue,
                              Map<String, long[]> revMerge, int left, int right) {
        if (left == -1 || right == -1) return;
        Symbol l = symbols.get(left);
        Symbol r = symbols.get(right);
        String s = text.substring(l.start, l.start + l.len + r.len);
        int id = vocab.id(s);
        if (id == Vocab.NONE) return;
        queue.add(new Bigram(left, right, vocab.score[id], s.length()));
        revMerge.put(s, new long[] {left, right});
    }

    private void resegment(String text, List<Symbol> symbols, Map<String, long[]> revMerge, Symbol symbol, IntList out) {
        String s = text.substring(symbol.start, symbol.start + symbol.len);
        int id = vocab.id(s);
        if (id != Vocab.NONE) {
            out.add(id);
            return;
        }
        long[] pair = revMerge.get(s);
        if (pair == null) {
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) out.add(vocab.spmByteToken(b & 0xFF));
            return;
        }
        resegment(text, symbols, revMerge, symbols.get((int) pair[0]), out);
        resegment(text, symbols, revMerge, symbols.get((int) pair[1]), out);
    }
}
