package dev.ember.tokenizer;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Text survives encode then decode. SentencePiece and byte-level BPE are lossless, so the streamed
 * token bytes always give the input back. decode() itself also applies llama.cpp's space clean-up
 * for GPT-2 style vocabularies, so there only inputs without " ?", " !", " .", " ," or " '" round-trip.
 * WordPiece (bert) lower-cases and drops accents and spaces, so it cannot round-trip and is left out.
 */
class TokenizerRoundTripTest {

    private static List<String> inputs(String vocab) {
        return TokenizerFixtures.hasVectors(vocab)
                ? TokenizerFixtures.vectors(vocab).stream().map(TokenizerFixtures.Vector::input).toList()
                : TokenizerFixtures.sharedInputs();
    }

    private static Stream<String> losslessVocabs() {
        return TokenizerFixtures.vocabNames().stream().filter(n -> !TokenizerFixtures.vocab(n).model().equals("bert"));
    }

    @TestFactory
    Stream<DynamicContainer> streamedTokenBytesGiveTheInputBack() {
        return losslessVocabs().map(name -> DynamicContainer.dynamicContainer(name, inputs(name).stream().map(x ->
                DynamicTest.dynamicTest("'" + TokenizerFixtures.printable(x) + "'", () -> {
                    Tokenizer tok = TokenizerFixtures.vocab(name);
                    StreamingDetokenizer d = new StreamingDetokenizer(tok, false, true);
                    StringBuilder sb = new StringBuilder();
                    for (int id : tok.encode(x, false, false)) sb.append(d.feed(id));
                    sb.append(d.flush());
                    assertEquals(x, sb.toString());
                }))));
    }

    @TestFactory
    Stream<DynamicContainer> decodeGivesTheInputBackWhereLlamaCppDoes() {
        return losslessVocabs().map(name -> DynamicContainer.dynamicContainer(name, inputs(name).stream()
                .filter(x -> !TokenizerFixtures.vocab(name).cleansSpaces() || !touchedBySpaceCleanup(x))
                .map(x -> DynamicTest.dynamicTest("'" + TokenizerFixtures.printable(x) + "'", () -> {
                    Tokenizer tok = TokenizerFixtures.vocab(name);
                    assertEquals(x, tok.decode(tok.encode(x, false, false)));
                }))));
    }

    private static boolean touchedBySpaceCleanup(String x) {
        return x.contains(" ?") || x.contains(" !") || x.contains(" .") || x.contains(" ,") || x.contains(" '");
    }
}
