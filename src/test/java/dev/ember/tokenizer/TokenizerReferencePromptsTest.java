package dev.ember.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The llama.cpp reference runs in fixtures/reference: the prompt tokens (add_special=true,
 * parse_special=false), the pieces llama.cpp printed for them, and the generated tokens' bytes,
 * text and end-of-generation flags.
 */
class TokenizerReferencePromptsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> referenceFiles() throws IOException {
        try (Stream<Path> files = Files.list(TokenizerFixtures.REFERENCE_DIR)) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            assertFalse(list.isEmpty(), "no reference json files in " + TokenizerFixtures.REFERENCE_DIR);
            return list.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceFiles")
    void promptTokensMatchLlamaCpp(Path file) throws IOException {
        JsonNode ref = JSON.readTree(file.toFile());
        Tokenizer tok = TokenizerFixtures.model(ref.get("model").asText());
        int[] expected = ints(ref.get("tokens"));
        assertArrayEquals(expected, tok.encode(ref.get("prompt").asText(), true, false));
        assertEquals(ref.get("generator").get("model_add_bos").asBoolean(), tok.addBos());
        assertEquals(ref.get("generator").get("bos_id").asInt(), tok.bos());
        assertEquals(ref.get("generator").get("eos_id").asInt(), tok.eos());
        assertEquals(ref.get("generator").get("n_vocab").asInt(), tok.vocabSize());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceFiles")
    void promptPiecesMatchLlamaCpp(Path file) throws IOException {
        JsonNode ref = JSON.readTree(file.toFile());
        Tokenizer tok = TokenizerFixtures.model(ref.get("model").asText());
        int[] tokens = ints(ref.get("tokens"));
        JsonNode pieces = ref.get("token_pieces");
        for (int i = 0; i < tokens.length; i++) {
            assertEquals(pieces.get(i).asText(), new String(tok.tokenBytes(tokens[i], true), StandardCharsets.UTF_8),
                    "piece of token " + tokens[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceFiles")
    void generatedTokensRenderAndStreamLikeLlamaCpp(Path file) throws IOException {
        JsonNode ref = JSON.readTree(file.toFile());
        Tokenizer tok = TokenizerFixtures.model(ref.get("model").asText());
        JsonNode greedy = ref.get("greedy");
        int[] tokens = ints(greedy.get("tokens"));
        StreamingDetokenizer stream = new StreamingDetokenizer(tok, true, false);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < tokens.length; i++) {
            assertEquals(greedy.get("pieces_hex").get(i).asText(), HexFormat.of().formatHex(tok.tokenBytes(tokens[i], true)),
                    "bytes of token " + tokens[i] + " at step " + i);
            assertEquals(greedy.get("is_eog").get(i).asBoolean(), tok.isEog(tokens[i]), "is_eog at step " + i);
            text.append(stream.feed(tokens[i]));
        }
        text.append(stream.flush());
        assertEquals(greedy.get("text").asText(), text.toString());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
