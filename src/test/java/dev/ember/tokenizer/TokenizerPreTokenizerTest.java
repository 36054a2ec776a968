package dev.ember.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * llama.cpp replaces the GPT-2 and Llama 3 expressions by hand-written matchers; ours must split
 * exactly as the expressions themselves do (run through the generic regex path). The Llama 3 one
 * has no vocabulary in the fixtures, so this is its main check.
 */
class TokenizerPreTokenizerTest {

    private static List<String> texts() {
        List<String> texts = new ArrayList<>(TokenizerFixtures.sharedInputs());
        texts.addAll(List.of("a'S b'LL c'Re d'vE", "x \u00a0 y\u2003z", "1234567 ab12cd \u0663\u0664", "  \n\n  x",
                "hi !! ?\r\n\r\nz", "a\u3000b", "Ä'sÄ", "\t\tx", "x  ", " ", "a \n", "'", "''s", "é\u0301e", "\u0000x"));
        return texts;
    }

    @Test
    void handWrittenGpt2SplitterMatchesItsExpression() {
        assertSameSplits(PreTokenizer.GPT2_REGEX);
    }

    @Test
    void handWrittenLlama3SplitterMatchesItsExpression() {
        assertSameSplits(PreTokenizer.LLAMA3_REGEX);
    }

    private static void assertSameSplits(String regex) {
        PreTokenizer custom = PreTokenizer.of(List.of(regex));
        PreTokenizer generic = PreTokenizer.genericOf(List.of(regex));
        for (String t : texts()) assertEquals(generic.split(t), custom.split(t), () -> "'" + TokenizerFixtures.printable(t) + "'");
    }

    @Test
    void everySupportedPreTokenizerSplitsIntoPiecesThatJoinBackToTheText() {
        for (String pre : List.of("default", "llama-bpe", "llama3", "qwen2", "qwen35", "deepseek-llm", "deepseek-coder",
                "falcon", "starcoder", "refact", "mpt", "gpt-2", "olmo", "command-r", "stablelm2", "dbrx")) {
            BpePreType type = BpePreType.lookup(pre);
            assertNotNull(type, pre);
            PreTokenizer p = PreTokenizer.of(type.regexes());
            for (String t : texts()) assertEquals(t, String.join("", p.split(t)), pre + ": '" + TokenizerFixtures.printable(t) + "'");
        }
    }
}
