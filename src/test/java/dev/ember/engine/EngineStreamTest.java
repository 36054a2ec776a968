package dev.ember.engine;

import dev.ember.model.Model;
import dev.ember.sampling.SamplingParams;
import dev.ember.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stream contents: text, finish reasons, stop strings, cancellation and bad requests. */
class EngineStreamTest {
    private static Model stories;
    private static Engine engine;

    @BeforeAll
    static void start() {
        stories = Model.load(Fixtures.model("stories260K-f32.gguf"));
        engine = new Engine(stories, new Engine.Config(128, 512, 16, 256, 2, 16));
    }

    @AfterAll
    static void stop() {
        engine.close();
        stories.close();
    }

    private List<TokenEvent> run(GenerationRequest r) {
        return engine.submit(r).collect().asList().await().atMost(Duration.ofSeconds(60));
    }

    private static String text(List<TokenEvent> events) {
        StringBuilder b = new StringBuilder();
        events.forEach(e -> b.append(e.text()));
        return b.toString();
    }

    @Test
    void greedyTextIsTheTinyStoriesGoldenOpening() {
        int[] prompt = stories.tokenizer().encode("Once upon a time", true, false);
        List<TokenEvent> ev = run(GenerationRequest.greedy(prompt, 20));
        assertTrue(text(ev).startsWith(", there was a little girl named Lily."), text(ev));
        assertEquals("length", ev.getLast().finishReason());
        assertEquals(20, ev.getLast().completionTokens());
        assertEquals(prompt.length, ev.getLast().promptTokens());
        for (int i = 0; i < ev.size() - 1; i++) assertNull(ev.get(i).finishReason());
    }

    @Test
    void stopStringEndsTheStreamAndIsNotEmitted() {
        int[] prompt = stories.tokenizer().encode("Once upon a time", true, false);
        List<TokenEvent> ev = run(new GenerationRequest(prompt, SamplingParams.greedy(), 60, false, List.of("Lily"), -1));
        assertEquals(", there was a little girl named ", text(ev));
        assertEquals("stop", ev.getLast().finishReason());
    }

    @Test
    void stopStringSpanningTokensIsFound() {
        int[] prompt = stories.tokenizer().encode("Once upon a time", true, false);
        // "little girl" spans several tokens.
        List<TokenEvent> ev = run(new GenerationRequest(prompt, SamplingParams.greedy(), 60, false, List.of("tle gi"), -1));
        assertEquals(", there was a lit", text(ev));
    }

    @Test
    void zeroMaxTokensEndsAtOnce() {
        int[] prompt = stories.tokenizer().encode("Hi", true, false);
        List<TokenEvent> ev = run(new GenerationRequest(prompt, SamplingParams.greedy(), 0, false, List.of(), -1));
        assertEquals(1, ev.size());
        assertEquals("length", ev.getFirst().finishReason());
        assertEquals(0, ev.getFirst().completionTokens());
    }

    @Test
    void logprobsAreReportedWhenAsked() {
        int[] prompt = stories.tokenizer().encode("Once upon a time", true, false);
        List<TokenEvent> ev = run(new GenerationRequest(prompt, SamplingParams.greedy(), 3, true, List.of(), 2));
        for (TokenEvent e : ev) {
            assertEquals(e.token(), e.logprobs().token());
            assertEquals(2, e.logprobs().top().size());
            assertEquals(e.token(), e.logprobs().top().getFirst().token(), "greedy picks the most likely token");
            assertTrue(e.logprobs().logprob() <= 0);
        }
    }

    @Test
    void cancellingAStreamFreesItsBlocks() throws Exception {
        int[] prompt = stories.tokenizer().encode("Once upon a time", true, false);
        var sub = engine.submit(new GenerationRequest(prompt, SamplingParams.greedy(), 100, true, List.of(), -1))
                .select().first(3).collect().asList().await().atMost(Duration.ofSeconds(30));
        assertEquals(3, sub.size());
        for (int i = 0; i < 100 && engine.usedBlocks() > 0; i++) TimeUnit.MILLISECONDS.sleep(20);
        assertEquals(0, engine.usedBlocks());
        assertEquals(0, engine.running());
    }

    @Test
    void promptThatFillsTheContextIsRefusedWithTheNumbers() {
        int[] prompt = new int[128];
        prompt[0] = 1;
        for (int i = 1; i < prompt.length; i++) prompt[i] = 300;
        var e = assertThrows(IllegalArgumentException.class, () -> engine.submit(GenerationRequest.greedy(prompt, 4)));
        assertTrue(e.getMessage().contains("128 tokens") && e.getMessage().contains("context holds 128"), e.getMessage());
    }

    @Test
    void outOfVocabularyTokenIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> engine.submit(GenerationRequest.greedy(new int[] {1, 99999}, 4)));
        assertFalse(e.getMessage().isEmpty());
    }
}
