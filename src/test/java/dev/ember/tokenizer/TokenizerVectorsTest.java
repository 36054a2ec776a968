package dev.ember.tokenizer;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * llama.cpp's own tokenizer conformance vectors (tests/test-tokenizer-0): every input of every
 * vocabulary that has vectors must tokenize to exactly the recorded ids.
 */
class TokenizerVectorsTest {

    /** Vocabularies with vectors that this tokenizer does not support. Empty: all of them are. */
    private static final List<String> UNSUPPORTED = List.of();

    @TestFactory
    Stream<DynamicContainer> everyVectorOfEverySupportedVocabMatchesLlamaCpp() {
        return TokenizerFixtures.vocabNames().stream()
                .filter(TokenizerFixtures::hasVectors)
                .filter(name -> !UNSUPPORTED.contains(name))
                .map(name -> DynamicContainer.dynamicContainer(name,
                        TokenizerFixtures.vectors(name).stream().map(v -> DynamicTest.dynamicTest(v.toString(), () -> {
                            int[] got = TokenizerFixtures.vocab(name).encode(v.input(), false, false);
                            assertArrayEquals(v.expected(), got, () -> name + " " + v + ": expected "
                                    + Arrays.toString(v.expected()) + " but got " + Arrays.toString(got));
                        }))));
    }

    @Test
    void theFixturesHoldVectorsForTheTenVocabsLlamaCppTests() {
        List<String> withVectors = TokenizerFixtures.vocabNames().stream().filter(TokenizerFixtures::hasVectors).toList();
        assertEquals(List.of("bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "llama-spm", "mpt", "phi-3",
                "refact", "starcoder"), withVectors);
        for (String name : withVectors) assertFalse(TokenizerFixtures.vectors(name).isEmpty(), name);
    }
}
