package dev.ember.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT WordPiece as llama.cpp's {@code llm_tokenizer_wpm} runs it: normalize (optional accent
 * stripping and lower-casing), split on whitespace and around punctuation and CJK characters, then
 * take the longest vocabulary match repeatedly from the left of each word (GGUF BERT vocabularies
 * mark word starts with U+2581 instead of marking continuations with "##"). A word that cannot be
 * covered becomes one unknown token.
 */
final class WpmEncoder {
    private static final String WORD_START = "\u2581";
    private final Vocab vocab;

    WpmEncoder(Vocab vocab) {
        this.vocab = vocab;
    }

    void encode(String text, IntList out) {
        for (String word : preprocess(text)) {
            if (word.isEmpty()) continue;
            byte[] w = (WORD_START + word).getBytes(StandardCharsets.UTF_8);
            int n = w.length;
            int before = out.size();
            IntList tokens = new IntList();
            boolean covered = true;
            for (int i = 0; i < n; i++) {
                boolean match = false;
                for (int j = Math.min(n, i + vocab.maxTokenLen + 1); j > i; j--) {
                    if (j < n && (w[j] & 0xC0) == 0x80) continue; // not a character boundary: no token can match
                    int id = vocab.id(new String(w, i, j - i, StandardCharsets.UTF_8));
                    if (id != Vocab.NONE) {
                        tokens.add(id);
                        match = true;
                        i = j - 1;
                        break;
                    }
                }
                if (!match) {
                    covered = false;
                    break;
                }
            }
            if (covered) for (int k = 0; k < tokens.size(); k++) out.add(tokens.get(k));
            if (out.size() == before) out.add(vocab.unk);
        }
    }

    /** llama.cpp's preprocess: NFD (first code point only, as its table stores), lower-case, split. */
    private List<String> preprocess(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int cp : text.codePoints().toArray()) {
            if (vocab.stripAccents) cp = Normalizer.normalize(Character.toString(cp), Normalizer.Form.NFD).codePointAt(0);
            int flags = CodepointFlags.of(cp);
            if ((flags & CodepointFlags.WHITESPACE) != 0) {
                if (!word.isEmpty()) {
                    words.add(word.toString());
                    word.setLength(0);
                }
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || (flags & CodepointFlags.CONTROL) != 0) continue;
            if (vocab.stripAccents && (flags & CodepointFlags.ACCENT_MARK) != 0) continue;
            int c = vocab.lowercase ? Character.toLowerCase(cp) : cp;
            if ((flags & CodepointFlags.PUNCTUATION) != 0 || (cp < 0x7F && (flags & CodepointFlags.SYMBOL) != 0) || isChinese(cp)) {
                if (!word.isEmpty()) {
                    words.add(word.toString());
                    word.setLength(0);
                }
                words.add(Character.toString(c));
            } else {
                word.appendCodePoint(c);
            }
        }
        if (!word.isEmpty()) words.add(word.toString());
        return words;
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) // llama.cpp follows HF here, which starts at 0x2B920
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
