package dev.ember.tokenizer;

import java.util.List;

/**
 * What a {@code tokenizer.ggml.pre} value means for byte-level BPE in llama.cpp: the split
 * expressions (llama.cpp's spelling, see {@link PreTokenizer}) and the flags llama.cpp ties to it.
 *
 * @param cleanSpaces  detokenize removes spaces before {@code ?!.,} and some apostrophes (clean_up_tokenization_spaces)
 * @param ignoreMerges a whole word that is itself a token is emitted without running merges
 * @param addBos       llama.cpp's add_bos default for this type (the GGUF key still overrides it)
 * @param noBos        the type has no BOS token at all (special_bos_id = null)
 */
record BpePreType(String name, List<String> regexes, boolean cleanSpaces, boolean ignoreMerges, boolean addBos, boolean noBos) {

    private static final String GPT2 = PreTokenizer.GPT2_REGEX;
    private static final String LLAMA3 = PreTokenizer.LLAMA3_REGEX;
    private static final String QWEN2 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN35 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    // DeepSeek LLM's letter class (cased letters), from llama.cpp. The six escaped code points are ones that
    // Unicode normalization would fold (e.g. KELVIN SIGN to K); they must stay as they are.
    private static final String DEEPSEEK_LETTERS =
            "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";
    private static final String DEEPSEEK_CJK = "[一-龥ࠀ-一가-퟿]+";

    private static final List<String> DEFAULT = List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]");

    /** The pre-tokenizer llama.cpp selects for {@code pre}; null when it is not one this port supports. */
    static BpePreType lookup(String pre) {
        return switch (pre) {
            case "", "default" -> new BpePreType("default", DEFAULT, true, false, false, false);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano" ->
                    new BpePreType(pre, List.of(LLAMA3), true, true, true, false);
            case "dbrx", "smaug-bpe" -> new BpePreType(pre, List.of(LLAMA3), true, false, false, false);
            case "glm4", "chatglm-bpe" -> new BpePreType(pre, List.of(LLAMA3), true, false, false, true);
            case "deepseek-llm" -> new BpePreType(pre, List.of(
                    "[\r\n]", DEEPSEEK_LETTERS, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", DEEPSEEK_CJK, "\\p{N}+"),
                    false, false, false, false);
            case "deepseek-coder" -> new BpePreType(pre, List.of(
                    "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", DEEPSEEK_CJK, "\\p{N}"),
                    false, false, false, false);
            case "falcon" -> new BpePreType(pre, List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]"),
                    true, false, false, false);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2" ->
                    new BpePreType(pre, List.of("\\p{N}", GPT2), true, false, false, false);
            case "command-r", "smollm" -> new BpePreType(pre, List.of("\\p{N}", GPT2), false, false, false, false);
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
                 "mellum", "modern-bert", "exaone4", "mpt", "olmo", "jais" ->
                    new BpePreType(pre, List.of(GPT2), true, false, false, false);
            case "trillion", "granite-docling" -> new BpePreType(pre, List.of(GPT2), false, false, false, false);
            case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open" ->
                    new BpePreType(pre, List.of(QWEN2), false, false, false, false);
            case "stablelm2", "megrez" -> new BpePreType(pre, List.of(QWEN2), true, false, false, false);
            case "qwen35" -> new BpePreType(pre, List.of(QWEN35), false, false, false, false);
            default -> null;
        };
    }
}
