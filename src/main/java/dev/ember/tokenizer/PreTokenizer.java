package dev.ember.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, the way llama.cpp's {@code unicode_regex_split} does:
 * each expression in turn splits every piece left by the previous one (matches and the gaps between
 * them both become pieces). Two expressions (GPT-2's and Llama 3's) have hand-written matchers in
 * llama.cpp, reproduced here. Others that use Unicode categories run on a "collapsed" text where each
 * non-ASCII code point is replaced by one stand-in character per category, with {@code \p{..}} in the
 * expression rewritten to match those stand-ins; the rest run on the code points directly.
 * Category membership always comes from {@link CodepointFlags}, never from Java's own classes.
 */
final class PreTokenizer {
    static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3_REGEX =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_REGEX_ORIGINAL =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // Stand-ins for non-ASCII code points in the collapsed text (the byte values llama.cpp uses).
    private static final char OTHER = '\u00D0';
    private static final char NUMBER = '\u00D1';
    private static final char LETTER = '\u00D2';
    private static final char PUNCTUATION = '\u00D3';
    private static final char ACCENT_MARK = '\u00D4';
    private static final char SYMBOL = '\u00D5';
    private static final char WHITESPACE = '\u000B'; // any non-ASCII whitespace: \s matches it

    private sealed interface Step permits Gpt2, Llama3, CategoryRegex, PlainRegex {}

    private record Gpt2() implements Step {}

    private record Llama3() implements Step {}

    private record CategoryRegex(Pattern pattern) implements Step {}

    private record PlainRegex(Pattern pattern) implements Step {}

    private final List<Step> steps;

    private PreTokenizer(List<Step> steps) {
        this.steps = steps;
    }

    /** Compiles llama.cpp's expressions (in llama.cpp's spelling) once, for reuse on every call. */
    static PreTokenizer of(List<String> regexes) {
        List<Step> steps = new ArrayList<>();
        for (String re : regexes) {
            if (re.equals(GPT2_REGEX)) {
                steps.add(new Gpt2());
            } else if (re.equals(LLAMA3_REGEX) || re.equals(LLAMA3_REGEX_ORIGINAL)) {
                steps.add(new Llama3());
            } else if (usesCategories(re)) {
                steps.add(new CategoryRegex(Pattern.compile(collapse(re))));
            } else {
                steps.add(new PlainRegex(Pattern.compile(javaAnchors(re))));
            }
        }
        return new PreTokenizer(List.copyOf(steps));
    }

    /**
     * Like {@link #of} but never uses the hand-written matchers: every expression goes through the
     * generic regex path. Lets tests check the hand-written matchers against their expressions.
     */
    static PreTokenizer genericOf(List<String> regexes) {
        List<Step> steps = new ArrayList<>();
        for (String re : regexes) {
            steps.add(usesCategories(re) ? new CategoryRegex(Pattern.compile(collapse(re)))
                    : new PlainRegex(Pattern.compile(javaAnchors(re))));
        }
        return new PreTokenizer(List.copyOf(steps));
    }

    /** The words of {@code text}, in order; they concatenate back to {@code text}. */
    List<String> split(String text) {
        int[] cps = text.codePoints().toArray();
        if (cps.length == 0) return List.of();
        Offsets offsets = new Offsets();
        offsets.add(cps.length);
        String collapsed = null;
        String wide = null;
        int[] wideIndex = null;
        for (Step step : steps) {
            switch (step) {
                case Gpt2 g -> offsets = splitGpt2(cps, offsets);
                case Llama3 l -> offsets = splitLlama3(cps, offsets);
                case CategoryRegex r -> {
                    if (collapsed == null) collapsed = collapse(cps);
                    offsets = splitRegex(r.pattern(), collapsed, null, offsets);
                }
                case PlainRegex r -> {
                    if (wide == null) {
                        wideIndex = new int[cps.length + 1];
                        StringBuilder sb = new StringBuilder(text.length());
                        for (int i = 0; i < cps.length; i++) {
                            wideIndex[i] = sb.length();
                            int cp = cps[i];
                            sb.appendCodePoint(cp > 0x7F && CodepointFlags.isWhitespace(cp) ? WHITESPACE : cp);
                        }
                        wideIndex[cps.length] = sb.length();
                        wide = sb.toString();
                    }
                    offsets = splitRegex(r.pattern(), wide, wideIndex, offsets);
                }
            }
        }
        List<String> words = new ArrayList<>(offsets.size);
        int start = 0;
        for (int i = 0; i < offsets.size; i++) {
            int len = offsets.data[i];
            words.add(new String(cps, start, len));
            start += len;
        }
        return words;
    }

    // ---- generic expressions -------------------------------------------------------------

    private static boolean usesCategories(String re) {
        for (String cat : new String[] {"\\p{N}", "\\p{L}", "\\p{P}", "\\p{M}", "\\p{S}",
                "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}"}) {
            if (re.contains(cat)) return true;
        }
        return false;
    }

    /** ECMAScript's {@code $} (no multiline) is end of input; Java's also matches before a final newline. */
    private static String javaAnchors(String re) {
        StringBuilder sb = new StringBuilder(re.length() + 4);
        boolean inClass = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                sb.append(c).append(re.charAt(++i));
                continue;
            }
            if (c == '[') inClass = true;
            else if (c == ']') inClass = false;
            if (c == '$' && !inClass) sb.append("\\z");
            else sb.append(c);
        }
        return sb.toString();
    }

    /** Rewrites {@code \p{X}} to the stand-in plus the ASCII members of X, as llama.cpp does. */
    static String collapse(String re) {
        StringBuilder out = new StringBuilder(re.length() + 32);
        boolean inside = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c > 0x7F) throw new IllegalArgumentException("category expression with non-ASCII text: " + re);
            if (c == '[' && (i == 0 || re.charAt(i - 1) != '\\')) {
                out.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && re.charAt(i - 1) != '\\') {
                out.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < re.length() && re.charAt(i + 1) == 'p' && re.charAt(i + 2) == '{') {
                int close = re.indexOf('}', i + 3);
                if (close >= 0 && close <= i + 10) {
                    String members = categoryMembers(re.substring(i, close + 1));
                    if (members != null) {
                        if (!inside) out.append('[');
                        out.append(members);
                        if (!inside) out.append(']');
                        i = close;
                        continue;
                    }
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static String categoryMembers(String cat) {
        return switch (cat) {
            case "\\p{N}" -> NUMBER + "0-9";
            case "\\p{L}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}" -> LETTER + "A-Za-z";
            case "\\p{P}" -> PUNCTUATION + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case "\\p{M}" -> String.valueOf(ACCENT_MARK);
            case "\\p{S}" -> SYMBOL + "\\$\\+<->^`\\|";
            default -> null;
        };
    }

    private static String collapse(int[] cps) {
        char[] out = new char[cps.length];
        for (int i = 0; i < cps.length; i++) {
            int cp = cps[i];
            if (cp < 128) {
                out[i] = (char) cp;
                continue;
            }
            int flags = CodepointFlags.of(cp);
            if ((flags & CodepointFlags.WHITESPACE) != 0) {
                out[i] = WHITESPACE;
                continue;
            }
            out[i] = switch (flags & CodepointFlags.MASK_CATEGORIES) {
                case CodepointFlags.NUMBER -> NUMBER;
                case CodepointFlags.LETTER -> LETTER;
                case CodepointFlags.PUNCTUATION -> PUNCTUATION;
                case CodepointFlags.ACCENT_MARK -> ACCENT_MARK;
                case CodepointFlags.SYMBOL -> SYMBOL;
                default -> OTHER;
            };
        }
        return new String(out);
    }

    /**
     * Splits each piece by the matches of {@code pattern} in {@code subject}. {@code charIndex} maps
     * code point positions to char positions (null when they coincide).
     */
    private static Offsets splitRegex(Pattern pattern, String subject, int[] charIndex, Offsets offsets) {
        Offsets out = new Offsets();
        Matcher m = pattern.matcher(subject);
        int start = 0;
        for (int i = 0; i < offsets.size; i++) {
            int end = start + offsets.data[i];
            int charStart = charIndex == null ? start : charIndex[start];
            int charEnd = charIndex == null ? end : charIndex[end];
            m.region(charStart, charEnd);
            int prev = charStart;
            while (m.find()) {
                if (m.start() > prev) out.add(cpCount(subject, charIndex, prev, m.start()));
                if (m.end() > m.start()) out.add(cpCount(subject, charIndex, m.start(), m.end()));
                prev = m.end();
            }
            if (prev < charEnd) out.add(cpCount(subject, charIndex, prev, charEnd));
            start = end;
        }
        return out;
    }

    private static int cpCount(String s, int[] charIndex, int from, int to) {
        return charIndex == null ? to - from : Character.codePointCount(s, from, to);
    }

    // ---- llama.cpp's hand-written matchers ---------------------------------------------------

    /** Position-bounded view of one piece: outside it a code point reads -1 and its flags 0. */
    private record Piece(int[] cps, int ini, int end) {
        int cp(int pos) {
            return pos >= ini && pos < end ? cps[pos] : -1;
        }

        int flags(int pos) {
            return pos >= ini && pos < end ? CodepointFlags.of(cps[pos]) : 0;
        }
    }

    private static boolean isWs(int f) {
        return (f & CodepointFlags.WHITESPACE) != 0;
    }

    private static boolean isLetter(int f) {
        return (f & CodepointFlags.LETTER) != 0;
    }

    private static boolean isNumber(int f) {
        return (f & CodepointFlags.NUMBER) != 0;
    }

    /** {@code [^\s\p{L}\p{N}]} inside the piece. */
    private static boolean isOther(int f) {
        return (f & (CodepointFlags.WHITESPACE | CodepointFlags.LETTER | CodepointFlags.NUMBER)) == 0 && f != 0;
    }

    private static boolean isCrLf(int cp) {
        return cp == '\r' || cp == '\n';
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    private static Offsets splitGpt2(int[] cps, Offsets offsets) {
        Offsets out = new Offsets();
        int start = 0;
        for (int i = 0; i < offsets.size; i++) {
            Piece p = new Piece(cps, start, start + offsets.data[i]);
            start = p.end();
            int prevEnd = p.ini();
            int pos = p.ini();
            while (pos < p.end()) {
                int cp = p.cp(pos);
                int flags = p.flags(pos);
                if (cp == '\'' && pos + 1 < p.end()) {
                    int next = p.cp(pos + 1);
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        pos = prevEnd = out.addUpTo(prevEnd, pos + 2);
                        continue;
                    }
                    if (pos + 2 < p.end()) {
                        int next2 = p.cp(pos + 2);
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                            pos = prevEnd = out.addUpTo(prevEnd, pos + 3);
                            continue;
                        }
                    }
                }
                int flags2 = cp == ' ' ? p.flags(pos + 1) : flags;
                if (isLetter(flags2)) {
                    if (cp == ' ') pos++;
                    while (isLetter(flags2)) flags2 = p.flags(++pos);
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                if (isNumber(flags2)) {
                    if (cp == ' ') pos++;
                    while (isNumber(flags2)) flags2 = p.flags(++pos);
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                if (isOther(flags2)) {
                    if (cp == ' ') pos++;
                    while (isOther(flags2)) flags2 = p.flags(++pos);
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                int ws = 0;
                while (isWs(p.flags(pos + ws))) ws++;
                if (ws > 1 && p.cp(pos + ws) != -1) { // \s+(?!\S): leave the last space to the next word
                    pos += ws - 1;
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                if (ws > 0) {
                    pos += ws;
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                prevEnd = out.addUpTo(prevEnd, ++pos);
            }
        }
        return out;
    }

    /**
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
     */
    private static Offsets splitLlama3(int[] cps, Offsets offsets) {
        Offsets out = new Offsets();
        int start = 0;
        for (int i = 0; i < offsets.size; i++) {
            Piece p = new Piece(cps, start, start + offsets.data[i]);
            start = p.end();
            int prevEnd = p.ini();
            int pos = p.ini();
            while (pos < p.end()) {
                int cp = p.cp(pos);
                int flags = p.flags(pos);
                if (cp == '\'' && pos + 1 < p.end()) {
                    int next = toLower(p.cp(pos + 1));
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        pos = prevEnd = out.addUpTo(prevEnd, pos + 2);
                        continue;
                    }
                    if (pos + 2 < p.end()) {
                        int next2 = toLower(p.cp(pos + 2));
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                            pos = prevEnd = out.addUpTo(prevEnd, pos + 3);
                            continue;
                        }
                    }
                }
                if (!(isCrLf(cp) || isNumber(flags))) {
                    if (isLetter(flags) || isLetter(p.flags(pos + 1))) {
                        pos++;
                        while (isLetter(p.flags(pos))) pos++;
                        prevEnd = out.addUpTo(prevEnd, pos);
                        continue;
                    }
                }
                if (isNumber(flags)) {
                    int ini = pos;
                    while (isNumber(p.flags(pos))) {
                        if (++pos - ini >= 3) {
                            prevEnd = out.addUpTo(prevEnd, pos);
                            ini = pos;
                        }
                    }
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                int flags2 = cp == ' ' ? p.flags(pos + 1) : flags;
                // llama.cpp tests the current code point's flags here, not flags2
                if ((flags2 & (CodepointFlags.WHITESPACE | CodepointFlags.LETTER | CodepointFlags.NUMBER)) == 0 && flags != 0) {
                    if (cp == ' ') pos++;
                    while (isOther(flags2)) flags2 = p.flags(++pos);
                    while (isCrLf(p.cp(pos))) pos++;
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                int ws = 0;
                int lastCrLfEnd = 0;
                while (isWs(p.flags(pos + ws))) {
                    if (isCrLf(p.cp(pos + ws))) lastCrLfEnd = pos + ws + 1;
                    ws++;
                }
                if (lastCrLfEnd > 0) { // \s*[\r\n]+
                    pos = lastCrLfEnd;
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                if (ws > 1 && p.cp(pos + ws) != -1) {
                    pos += ws - 1;
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                if (ws > 0) {
                    pos += ws;
                    prevEnd = out.addUpTo(prevEnd, pos);
                    continue;
                }
                prevEnd = out.addUpTo(prevEnd, ++pos);
            }
        }
        return out;
    }

    private static int toLower(int cp) {
        return cp < 0 ? cp : Character.toLowerCase(cp);
    }

    /** Growable list of piece lengths (in code points). */
    private static final class Offsets {
        int[] data = new int[16];
        int size;

        void add(int len) {
            if (size == data.length) data = java.util.Arrays.copyOf(data, size * 2);
            data[size++] = len;
        }

        /** Adds the piece [prevEnd, end) if non-empty; returns the new piece start. */
        int addUpTo(int prevEnd, int end) {
            if (end > prevEnd) add(end - prevEnd);
            return end;
        }
    }
}
