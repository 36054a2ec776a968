package dev.ember.tokenizer;

import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufValue;
import dev.ember.gguf.GgufValueType;
import dev.ember.gguf.Metadata;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which tokenizer a GGUF file gets, clear errors for unsupported ones, and load time. */
class TokenizerLoadingTest {

    private static Metadata metadata(String model, String pre) {
        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", GgufValue.string(model));
        if (pre != null) kv.put("tokenizer.ggml.pre", GgufValue.string(pre));
        kv.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, new String[] {"a", "b", "ab"}));
        kv.put("tokenizer.ggml.merges", GgufValue.array(GgufValueType.STRING, new String[] {"a b"}));
        return new Metadata("test", kv);
    }

    @Test
    void anUnsupportedTokenizerModelIsNamedInTheError() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(metadata("t5", null)));
        assertTrue(e.getMessage().contains("'t5'"), e.getMessage());
    }

    @Test
    void anUnsupportedPreTokenizerIsNamedInTheError() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(metadata("gpt2", "tekken")));
        assertTrue(e.getMessage().contains("'tekken'"), e.getMessage());
    }

    @Test
    void aMinimalBpeVocabularyMergesByRank() {
        Tokenizer tok = Tokenizer.fromGguf(metadata("gpt2", "gpt-2"));
        assertEquals(2, tok.encode("ab", false, false)[0]);
        assertEquals("default", Tokenizer.fromGguf(metadata("gpt2", null)).preType());
    }

    @Test
    void everyFixtureVocabularyLoadsWithTheRightTokenizer() {
        for (String name : TokenizerFixtures.vocabNames()) {
            Tokenizer tok = TokenizerFixtures.vocab(name);
            String expected = switch (name) {
                case "llama-spm", "phi-3", "baichuan" -> "llama";
                case "bert-bge" -> "bert";
                default -> "gpt2";
            };
            assertEquals(expected, tok.model(), name);
        }
        assertEquals("default", TokenizerFixtures.vocab("gpt-neox").preType(), "no pre key: llama.cpp's default pre-tokenizer");
    }
}
