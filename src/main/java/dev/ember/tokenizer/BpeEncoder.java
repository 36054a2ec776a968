package dev.ember.tokenizer;

import java.util.PriorityQueue;

/**
 * Byte-level BPE as llama.cpp's {@code llm_tokenizer_bpe_session} runs it: pre-tokenize, map each
 * word's UTF-8 bytes to GPT-2's code points, then repeatedly apply the lowest-ranked merge among
 * adjacent symbols (leftmost on ties) and emit each final symbol as its token.
 */
final class BpeEncoder {
    private final Vocab vocab;
    private final PreTokenizer preTokenizer;

    BpeEncoder(Vocab vocab) {
        this.vocab = vocab;
        this.preTokenizer = PreTokenizer.of(vocab.bpePreType.regexes());
    }

    private record Bigram(int left, int right, String text, int rank) {}

    void encode(String text, IntList out) {
        for (String raw : preTokenizer.split(text)) {
            String word = ByteUnicode.encode(raw);
            if (vocab.ignoreMerges) {
                int id = vocab.id(word);
                if (id != Vocab.NONE) {
                    out.add(id);
                    continue;
                }
            }
            encodeWord(word, out);
        }
    }

    private void encodeWord(String word, IntList out) {
        // every mapped byte is one BMP char, so symbol i starts as char i
        int n = word.length();
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            start[i] = i;
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 == n ? -1 : i + 1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.rank != b.rank
                ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) addBigram(word, start, len, queue, i - 1, i);

        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left, r = b.right;
            if (len[l] == 0 || len[r] == 0) continue;
            if (len[l] + len[r] != b.text.length() || !word.startsWith(b.text, start[l])) continue; // stale
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            addBigram(word, start, len, queue, prev[l], l);
            addBigram(word, start, len, queue, l, next[l]);
        }
        for (int i = 0; i != -1 && n > 0; i = next[i]) {
            if (len[i] == 0) continue;
            String s = word.substring(start[i], start[i] + len[i]);
            int id = vocab.id(s);
            if (id != Vocab.NONE) {
                out.add(id);
                continue;
            }
            // llama.cpp then tries each UTF-8 byte of the mapped text as a token; only ASCII ones can exist
            for (byte c : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                if (c >= 0) {
                    int single = vocab.id(String.valueOf((char) c));
                    if (single != Vocab.NONE) out.add(single);
                }
            }
        }
    }

    private void addBigram(String word, int[] start, int[] len, PriorityQueue<Bigram> queue, int left, int right) {
        if (left == -1 || right == -1) return;
        String l = word.substring(start[left], start[left] + len[left]);
        String r = word.substring(start[right], start[right] + len[right]);
        int rank = vocab.mergeRanks.id(l + " " + r);
        if (rank == TokenIndex.NONE) return;
        queue.add(new Bigram(left, right, l + r, rank));
    }
}
