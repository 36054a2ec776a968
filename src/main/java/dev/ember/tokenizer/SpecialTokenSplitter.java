package dev.ember.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's {@code tokenizer_st_partition}: before the model tokenizer runs, occurrences of special
 * tokens in the text are cut out as ready-made tokens, longest token first. User-defined tokens are
 * always cut out (as Hugging Face does for added tokens); control and unknown tokens only when
 * special tokens are parsed. LSTRIP/RSTRIP tokens also swallow the ASCII whitespace beside them.
 */
final class SpecialTokenSplitter {

    /** A piece of the input: either a token id, or the text range [start, start+length) still to tokenize. */
    record Fragment(int token, int start, int length) {
        static Fragment token(int id) {
            return new Fragment(id, 0, 0);
        }

        static Fragment text(int start, int length) {
            return new Fragment(-1, start, length);
        }

        boolean isText() {
            return token < 0;
        }
    }

    private SpecialTokenSplitter() {}

    static List<Fragment> split(Vocab vocab, String text, boolean parseSpecial) {
        List<Fragment> buffer = new ArrayList<>();
        if (text.isEmpty()) return buffer;
        buffer.add(Fragment.text(0, text.length()));
        for (int special : vocab.specialTokens) {
            if (!parseSpecial && vocab.has(special, TokenAttr.CONTROL | TokenAttr.UNKNOWN)) continue;
            String t = vocab.text[special];
            boolean lstrip = vocab.has(special, TokenAttr.LSTRIP);
            boolean rstrip = vocab.has(special, TokenAttr.RSTRIP);
            List<Fragment> next = new ArrayList<>(buffer.size() + 4);
            for (Fragment f : buffer) {
                if (!f.isText()) {
                    next.add(f);
                    continue;
                }
                int off = f.start(), len = f.length();
                while (true) {
                    int match = len > 0 ? text.indexOf(t, off) : -1;
                    if (match < 0 || match + t.length() > off + len) {
                        if (len > 0) next.add(Fragment.text(off, len));
                        break;
                    }
                    if (match > off) {
                        int leftLen = match - off;
                        if (lstrip) while (leftLen > 0 && isSpace(text.charAt(off + leftLen - 1))) leftLen--;
                        if (leftLen > 0) next.add(Fragment.text(off, leftLen));
                    }
                    next.add(Fragment.token(special));
                    int rightOff = match + t.length();
                    int rightEnd = off + len;
                    if (rightOff >= rightEnd) break;
                    if (rstrip) while (rightOff < rightEnd && isSpace(text.charAt(rightOff))) rightOff++;
                    off = rightOff;
                    len = rightEnd - rightOff;
                }
            }
            buffer = next;
        }
        return buffer;
    }

    /** C's isspace in the "C" locale, which llama.cpp applies to the UTF-8 bytes. */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
