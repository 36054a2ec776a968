package dev.ember.tokenizer;

import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufValue;
import dev.ember.gguf.GgufValueType;
import dev.ember.gguf.Metadata;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Token bytes are rendered on first use, not at load: same bytes, one shared array per token, load-time errors kept. */
class TokenizerLazyPiecesTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void llamaSpmPiecesRenderAsLlamaCppDoes() {
        Tokenizer tok = Tokenizer.fromGguf(TokenizerFixtures.vocabFile("llama-spm"));
        assertArrayEquals(utf8(" the"), tok.tokenBytes(278));
        assertArrayEquals(new byte[] {'\n'}, tok.tokenBytes(13));          // <0x0A>
        assertArrayEquals(new byte[0], tok.tokenBytes(1));                 // <s> is control
        assertArrayEquals(utf8("<s>"), tok.tokenBytes(1, true));
        assertSame(tok.tokenBytes(278), tok.tokenBytes(278), "the rendered piece is cached");
    }

    @Test
    void gpt2PiecesMapBytesBack() {
        Tokenizer tok = Tokenizer.fromGguf(TokenizerFixtures.vocabFile("gpt-2"));
        int id = tok.tokenId("\u0120the"); // "Ġthe"
        assertEquals(262, id);
        assertArrayEquals(utf8(" the"), tok.tokenBytes(id));
    }

    @Test
    void concurrentFirstUseGivesEveryThreadTheSameBytes() throws Exception {
        Tokenizer tok = Tokenizer.fromGguf(TokenizerFixtures.vocabFile("llama-spm"));
        Tokenizer reference = Tokenizer.fromGguf(TokenizerFixtures.vocabFile("llama-spm"));
        int n = tok.vocabSize();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[][]>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit((Callable<byte[][]>) () -> {
                    byte[][] out = new byte[n][];
                    for (int id = 0; id < n; id++) out[id] = tok.tokenBytes(id, true);
                    return out;
                }));
            }
            byte[][] first = results.get(0).get();
            for (Future<byte[][]> r : results) {
                byte[][] got = r.get();
                for (int id = 0; id < n; id++) {
                    assertSame(first[id], got[id], "token " + id);
                    assertArrayEquals(reference.tokenBytes(id, true), got[id], "token " + id);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aMalformedByteTokenStillFailsTheLoad() {
        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", GgufValue.string("llama"));
        kv.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, new String[] {"<unk>", "<s>", "</s>", "<0xZZ>"}));
        kv.put("tokenizer.ggml.token_type", GgufValue.int32s(2, 3, 3, 6)); // unknown, control, control, byte
        assertThrows(NumberFormatException.class, () -> Tokenizer.fromGguf(new Metadata("test", kv)));
    }

    @Test
    void theVocabularyOfAModelFileStillReadsBack() {
        try (GgufFile f = GgufFile.open(TokenizerFixtures.MODELS_DIR.resolve("stories260K-q4_0.gguf"))) {
            Tokenizer tok = Tokenizer.fromGguf(f.metadata());
            String[] text = f.metadata().getStringArray("tokenizer.ggml.tokens");
            for (int id = 0; id < text.length; id++) assertEquals(id, tok.tokenId(text[id]), text[id]);
        }
    }
}
