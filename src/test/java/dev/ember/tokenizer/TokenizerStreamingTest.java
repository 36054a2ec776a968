package dev.ember.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** StreamingDetokenizer: complete UTF-8 only, held-back partial characters, llama.cpp's leading-space rule. */
class TokenizerStreamingTest {

    private static List<String> stream(StreamingDetokenizer d, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(d.feed(id));
        out.add(d.flush());
        return out;
    }

    private static boolean isByteToken(Tokenizer tok, int id) {
        return tok.piece(id).matches("<0x[0-9A-F]{2}>");
    }

    @Test
    void holdsBackAnEmojiSplitOverSentencePieceByteTokens() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        int[] ids = tok.encode("Привет 🦙!", false, false);
        // the emoji has no token of its own: it must arrive as its four UTF-8 bytes
        assertEquals(List.of("▁При", "вет", "▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>", "!"),
                java.util.Arrays.stream(ids).mapToObj(tok::piece).toList());
        List<String> out = stream(new StreamingDetokenizer(tok, false, true), ids);
        assertEquals(List.of("При", "вет", " ", "", "", "", "🦙", "!", ""), out);
    }

    @Test
    void holdsBackACharacterSplitInsideByteLevelBpeTokens() {
        Tokenizer tok = TokenizerFixtures.vocab("gpt-2");
        int[] ids = tok.encode("a😁b", false, false);
        assertEquals(4, ids.length, "a, two tokens sharing the emoji's bytes, b");
        List<String> out = stream(new StreamingDetokenizer(tok), ids);
        assertEquals(List.of("a", "", "😁", "b", ""), out);
    }

    @Test
    void flushTurnsAnUnfinishedCharacterIntoOneReplacementCharacter() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        int[] ids = tok.encode("🦙", false, false);
        assertTrue(isByteToken(tok, ids[1]) && isByteToken(tok, ids[2]));
        StreamingDetokenizer d = new StreamingDetokenizer(tok, false, true);
        assertEquals("", d.feed(ids[0]));
        assertEquals("", d.feed(ids[1]));
        assertEquals("", d.feed(ids[2]));
        assertEquals(2, d.pendingBytes());
        assertEquals("\uFFFD", d.flush());
        assertEquals(0, d.pendingBytes());
    }

    @Test
    void invalidBytesComeOutAsReplacementCharactersAtOnce() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        StreamingDetokenizer d = new StreamingDetokenizer(tok);
        assertEquals("\uFFFD", d.feed(tok.tokenId("<0xFF>")), "0xFF never starts a UTF-8 sequence");
        assertEquals("\uFFFD", d.feed(tok.tokenId("<0x80>")), "a continuation byte without a lead byte");
        assertEquals(0, d.pendingBytes());
        // a lead byte followed by a non-continuation byte: the lead byte is broken, the next one is fine
        d.feed(tok.tokenId("<0xC3>"));
        assertEquals("\uFFFDA", d.feed(tok.tokenId("<0x41>")));
    }

    @Test
    void firstTokenLosesTheSpacePrefixUnlessBosComesFirstLikeLlamaDetokenize() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        int[] plain = tok.encode("Hello world", false, false);
        assertEquals(List.of("Hello", " world", ""), stream(new StreamingDetokenizer(tok, false, true), plain));
        assertEquals("Hello world", tok.decode(plain));

        int[] withBos = tok.encode("Hello world", true, false);
        assertEquals(tok.bos(), withBos[0]);
        // llama_detokenize: a leading BOS takes the "strip one space" turn, so the text keeps its space
        assertEquals(List.of("", " Hello", " world", ""), stream(new StreamingDetokenizer(tok, false, true), withBos));
        assertEquals(" Hello world", tok.decode(withBos));
        assertEquals(" Hello world", new String(tok.detokenize(withBos, true, false), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void generationStreamingKeepsEverySpaceAndCanRenderSpecialTokens() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        int[] ids = tok.encode("Hello world", true, false);
        assertEquals(List.of("", " Hello", " world", ""), stream(new StreamingDetokenizer(tok), ids));
        assertEquals(List.of("<s>", " Hello", " world", ""), stream(new StreamingDetokenizer(tok, true, false), ids));
        assertEquals(List.of(" Hello", " world", ""), stream(new StreamingDetokenizer(tok), tok.encode("Hello world", false, false)));
    }
}
