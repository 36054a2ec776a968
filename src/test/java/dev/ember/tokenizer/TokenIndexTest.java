package dev.ember.tokenizer;

import dev.ember.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The open-addressing text-to-id table the vocabulary looks tokens up in, against a plain HashMap. */
class TokenIndexTest {

    private static String[] tokens(String vocab) {
        try (GgufFile f = GgufFile.open(TokenizerFixtures.vocabFile(vocab))) {
            return f.metadata().getStringArray("tokenizer.ggml.tokens").clone();
        }
    }

    @Test
    void everyTokenOfEveryFixtureVocabularyMapsToItsId() {
        for (String name : TokenizerFixtures.vocabNames()) {
            String[] text = tokens(name);
            for (int i = 0; i < text.length; i++) if (text[i].isEmpty()) text[i] = "[EMPTY_" + i + "]"; // as Vocab does
            TokenIndex index = new TokenIndex(text);
            Map<String, Integer> reference = new HashMap<>();
            for (int i = 0; i < text.length; i++) reference.put(text[i], i);
            for (int i = 0; i < text.length; i++) assertEquals(i, index.id(text[i]), name + " token " + i + " '" + text[i] + "'");
            assertEquals(reference.size(), text.length, name);
            assertEquals(TokenIndex.NONE, index.id("no such token \u0000"), name);
        }
    }

    @Test
    void knownLlamaSpmTokensHaveTheirIds() {
        TokenIndex index = new TokenIndex(tokens("llama-spm"));
        assertEquals(0, index.id("<unk>"));
        assertEquals(1, index.id("<s>"));
        assertEquals(2, index.id("</s>"));
        assertEquals(13, index.id("<0x0A>"));
        assertEquals(278, index.id("\u2581the"));
        assertEquals(TokenIndex.NONE, index.id("the\u2581"));
        assertEquals(TokenIndex.NONE, index.id(""));
    }

    @Test
    void aDuplicateTokenIsRefusedNamingBothIds() {
        var e = assertThrows(IllegalArgumentException.class, () -> new TokenIndex(new String[] {"a", "b", "c", "b"}));
        assertTrue(e.getMessage().contains("'b' has ids 1 and 3"), e.getMessage());
    }

    @Test
    void bpeMergesMapToTheirFirstRank() {
        for (String name : new String[] {"gpt-2", "falcon", "starcoder"}) {
            String[] merges;
            try (GgufFile f = GgufFile.open(TokenizerFixtures.vocabFile(name))) {
                merges = f.metadata().getStringArray("tokenizer.ggml.merges").clone();
            }
            TokenIndex index = TokenIndex.firstWins(merges);
            Map<String, Integer> reference = new HashMap<>();
            for (int i = 0; i < merges.length; i++) reference.putIfAbsent(merges[i], i);
            for (String m : merges) assertEquals(reference.get(m), index.id(m), name + " merge '" + m + "'");
        }
        assertEquals(0, TokenIndex.firstWins(new String[] {"a b", "c d", "a b"}).id("a b"), "a repeated merge keeps its first rank");
        assertEquals(1, TokenIndex.firstWins(new String[] {"a b", "c d", "a b"}).id("c d"));
    }

    @Test
    void tinyAndEmptyVocabulariesWork() {
        assertEquals(TokenIndex.NONE, new TokenIndex(new String[0]).id("a"));
        TokenIndex one = new TokenIndex(new String[] {"x"});
        assertEquals(0, one.id("x"));
        assertEquals(TokenIndex.NONE, one.id("y"));
    }
}
