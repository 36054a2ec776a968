package dev.ember.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BOS/EOS addition, special-token parsing (llama.cpp's tokenizer_st_partition) and end-of-generation tokens. */
class TokenizerSpecialTokensTest {

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    private static boolean contains(int[] ids, int id) {
        return IntStream.of(ids).anyMatch(i -> i == id);
    }

    @Test
    void sentencePieceAddsBosButNotEos() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        assertTrue(tok.addBos());
        assertFalse(tok.addEos());
        assertEquals(tok.tokenId("<s>"), tok.bos());
        assertArrayEquals(concat(new int[] {tok.bos()}, tok.encode("Hello", false, false)), tok.encode("Hello", true, false));
        assertArrayEquals(new int[] {tok.bos()}, tok.encode("", true, false), "the empty prompt is BOS alone");
    }

    @Test
    void gpt2AddsNothingWithoutAnAddBosKeyButDeepseekAsksForBos() {
        Tokenizer gpt2 = TokenizerFixtures.vocab("gpt-2");
        assertFalse(gpt2.addBos());
        assertArrayEquals(gpt2.encode("Hello", false, false), gpt2.encode("Hello", true, false));
        Tokenizer deepseek = TokenizerFixtures.vocab("deepseek-coder");
        assertTrue(deepseek.addBos());
        assertEquals(deepseek.bos(), deepseek.encode("Hello", true, false)[0]);
    }

    @Test
    void controlTokensInTextAreParsedOnlyWhenAsked() {
        Tokenizer tok = TokenizerFixtures.vocab("gpt-2");
        int eot = tok.tokenId("<|endoftext|>");
        String text = "a<|endoftext|>b";
        assertArrayEquals(concat(tok.encode("a", false, false), new int[] {eot}, tok.encode("b", false, false)),
                tok.encode(text, false, true));
        int[] literal = tok.encode(text, false, false);
        assertFalse(contains(literal, eot));
        assertEquals(text, tok.decode(literal));
    }

    @Test
    void sentencePieceGivesTheTextAfterASpecialTokenItsOwnSpacePrefix() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        assertArrayEquals(concat(new int[] {tok.bos()}, tok.encode("Hello", false, false)), tok.encode("<s>Hello", false, true));
        assertFalse(contains(tok.encode("<s>Hello", false, false), tok.bos()));
    }

    @Test
    void userDefinedTokensAreCutOutEvenWithoutParsingSpecialTokens() {
        Tokenizer tok = TokenizerFixtures.vocab("deepseek-coder");
        int user = tok.tokenId("õ"); // a user-defined token in this vocabulary
        assertNotEquals(-1, user);
        int[] expected = concat(tok.encode("a", false, false), new int[] {user}, tok.encode("b", false, false));
        assertArrayEquals(expected, tok.encode("aõb", false, false));
        assertArrayEquals(expected, tok.encode("aõb", false, true));
        assertEquals("aõb", tok.decode(expected));
    }

    @Test
    void phi3SpecialTokensSwallowTheWhitespaceAfterThem() {
        Tokenizer tok = TokenizerFixtures.vocab("phi-3"); // general.name "Phi3": llama.cpp sets RSTRIP
        int end = tok.tokenId("<|end|>");
        assertArrayEquals(concat(tok.encode("a", false, false), new int[] {end}, tok.encode("b", false, false)),
                tok.encode("a<|end|> \n b", false, true));
        // "</s>" is user-defined in phi-3, but llama.cpp marks it control because it ends generation,
        // so it is only cut out when special tokens are parsed
        int s = tok.tokenId("</s>");
        assertTrue(tok.isControl(s) && tok.isEog(s));
        assertArrayEquals(concat(tok.encode("a", false, false), new int[] {s}, tok.encode("b", false, false)),
                tok.encode("a</s>   b", false, true));
        assertFalse(contains(tok.encode("a</s>   b", false, false), s));
    }

    @Test
    void endOfGenerationCoversEosAndEndOfTurnTokens() {
        Tokenizer phi3 = TokenizerFixtures.vocab("phi-3");
        assertTrue(phi3.isEog(phi3.eos()));
        assertTrue(phi3.isEog(phi3.tokenId("<|end|>")));
        assertFalse(phi3.isEog(phi3.tokenId("<|assistant|>")));
        assertFalse(phi3.isEog(phi3.bos()));
        Tokenizer gpt2 = TokenizerFixtures.vocab("gpt-2");
        assertArrayEquals(new int[] {gpt2.eos()}, gpt2.eogTokens());
    }

    @Test
    void wordPieceWrapsTheTextInClsAndSep() {
        Tokenizer tok = TokenizerFixtures.vocab("bert-bge");
        int[] ids = tok.encode("hello world", true, false);
        assertEquals(tok.tokenId("[CLS]"), ids[0]);
        assertEquals(tok.tokenId("[SEP]"), ids[ids.length - 1]);
        assertArrayEquals(tok.encode("hello world", false, false), Arrays.copyOfRange(ids, 1, ids.length - 1));
    }

    @Test
    void controlTokensRenderOnlyWhenAsked() {
        Tokenizer tok = TokenizerFixtures.vocab("llama-spm");
        assertEquals(0, tok.tokenBytes(tok.bos()).length);
        assertEquals("<s>", new String(tok.tokenBytes(tok.bos(), true), java.nio.charset.StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {'\n'}, tok.tokenBytes(tok.tokenId("<0x0A>")));
        assertEquals(" the", new String(tok.tokenBytes(tok.tokenId("▁the")), java.nio.charset.StandardCharsets.UTF_8));
    }
}
