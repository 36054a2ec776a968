package dev.ember.tokenizer;

/**
 * Unicode category flags of a code point, as llama.cpp's {@code unicode_cpt_flags} classifies them.
 * The pre-tokenizers are defined in terms of these flags (not Java's regex classes), so splitting
 * decisions stay identical to llama.cpp's. Categories come from {@link Character#getType(int)}; the
 * whitespace set is llama.cpp's (Unicode White_Space), which differs from Java's {@code \s}.
 */
final class CodepointFlags {
    static final int UNDEFINED = 0x0001;
    static final int NUMBER = 0x0002;
    static final int LETTER = 0x0004;
    static final int SEPARATOR = 0x0008;
    static final int ACCENT_MARK = 0x0010;
    static final int PUNCTUATION = 0x0020;
    static final int SYMBOL = 0x0040;
    static final int CONTROL = 0x0080;
    static final int MASK_CATEGORIES = 0x00FF;
    static final int WHITESPACE = 0x0100;

    private CodepointFlags() {}

    /** Flags of a code point; 0 means "outside the text", which llama.cpp also uses as a sentinel. */
    static int of(int cp) {
        if (cp < 0 || cp > Character.MAX_CODE_POINT) return UNDEFINED;
        int f = category(cp);
        if (isWhitespace(cp)) f |= WHITESPACE;
        return f;
    }

    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    static boolean isLetter(int cp) {
        return (of(cp) & LETTER) != 0;
    }

    static boolean isNumber(int cp) {
        return (of(cp) & NUMBER) != 0;
    }

    private static int category(int cp) {
        return switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> ACCENT_MARK;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> SYMBOL;
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE -> CONTROL;
            default -> UNDEFINED; // unassigned
        };
    }
}
