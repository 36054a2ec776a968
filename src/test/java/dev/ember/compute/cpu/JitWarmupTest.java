package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitWarmupTest {
    @Test
    void warmsEachTypeOncePerProcess() {
        try (WorkerPool pool = new WorkerPool(2)) {
            List<GgmlType> types = List.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q4_0, GgmlType.F16);
            long first = JitWarmup.run(types, pool);
            assertTrue(first >= 0);
            // Everything asked for is warm now: a second call does no work at all.
            long again = JitWarmup.run(types, pool);
            assertEquals(0, again, "types already warmed must be skipped");
        }
    }

    @Test
    void canBeTurnedOff() {
        String before = System.getProperty("ember.jit-warmup");
        System.setProperty("ember.jit-warmup", "false");
        try (WorkerPool pool = new WorkerPool(1)) {
            assertEquals(0, JitWarmup.run(List.of(GgmlType.Q6_K), pool));
        } finally {
            if (before == null) System.clearProperty("ember.jit-warmup");
            else System.setProperty("ember.jit-warmup", before);
        }
    }
}
