package dev.ember.engine;

import dev.ember.model.Model;
import dev.ember.sampling.SamplingParams;
import dev.ember.testing.Fixtures;
import io.smallrye.mutiny.subscription.Cancellable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cancellation at any moment (queued, following a same-prompt leader, mid-prefill, decoding, preempted)
 * gives every block reference back: after 100 random cancellations the pool is whole again.
 */
class EngineCancellationTest {
    @Test
    void noBlockLeaksAfterAHundredRandomCancellations() throws Exception {
        try (Model stories = Model.load(Fixtures.model("stories260K-f32.gguf"));
             // 256 tokens of KV in blocks of 4 for up to 8 sequences: preemption happens too.
             Engine engine = new Engine(stories, new Engine.Config(128, 256, 8, 16, 2, 4))) {
            Random rnd = new Random(42);
            int[] shared = stories.tokenizer().encode(PrefixCachingTest.TEXT, true, false);
            List<Cancellable> live = new ArrayList<>();
            List<Long> cancelAt = new ArrayList<>();
            long t0 = System.nanoTime();
            int completed = 0;
            for (int i = 0; i < 120; i++) {
                int[] prompt = switch (rnd.nextInt(3)) {
                    case 0 -> Arrays.copyOf(shared, 30);                           // identical: followers and forks
                    case 1 -> Arrays.copyOf(shared, 10 + rnd.nextInt(shared.length - 10)); // shared prefix
                    default -> {
                        int[] p = new int[5 + rnd.nextInt(40)];
                        p[0] = 1;
                        for (int k = 1; k < p.length; k++) p[k] = 3 + rnd.nextInt(500);
                        yield p;
                    }
                };
                SamplingParams params = SamplingParams.builder().seed(i).build();
                var stream = engine.submit(new GenerationRequest(prompt, params, 5 + rnd.nextInt(40), true, List.of(), -1));
                if (i < 100) {
                    live.add(stream.subscribe().with(e -> { }, f -> { }));
                    cancelAt.add(t0 + TimeUnit.MILLISECONDS.toNanos(rnd.nextInt(300)));
                } else {
                    stream.collect().asList().await().atMost(java.time.Duration.ofSeconds(60)); // some finish normally
                    completed++;
                }
            }
            for (int next = 0; next < live.size(); next++) {
                int k = 0;
                for (int j = 1; j < live.size(); j++) if (cancelAt.get(j) < cancelAt.get(k)) k = j;
                long wait = cancelAt.get(k) - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                live.get(k).cancel();
                cancelAt.set(k, Long.MAX_VALUE);
            }
            for (int i = 0; i < 500 && (engine.running() > 0 || engine.waiting() > 0 || engine.usedBlocks() > 0); i++) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            assertEquals(20, completed);
            assertEquals(0, engine.running());
            assertEquals(0, engine.waiting());
            assertEquals(0, engine.usedBlocks(), "every reference is back");
            engine.blocks().checkConsistency();
            assertTrue(engine.prefixCacheHits() > 0);
        }
    }
}
