package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An idle pool sleeps: after a job its workers spin briefly, then park until the next job, so a server between requests
 * (or a starting one, whose pool exists before the first request) leaves the cores to everyone else. The workers used to
 * wake every 200 µs into another spin, ~70% of a core per worker while idle. Jobs after the idle period still run on
 * every lane.
 */
class WorkerPoolIdleTest {

    @Test
    void idleWorkersUseNoCpuAndWakeForTheNextJob() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadCpuTimeSupported(), "no thread CPU time on this JVM");
        try (WorkerPool pool = new WorkerPool(3)) {
            int[] hits = new int[64];
            pool.forRange(64, 1, (from, to) -> {
                for (int i = from; i < to; i++) hits[i]++;
            });
            List<Thread> workers = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("ember-worker-") && t.isAlive()) workers.add(t);
            }
            assertFalse(workers.isEmpty(), "worker threads found");
            Thread.sleep(200);   // past the spin
            long before = 0;
            for (Thread t : workers) before += mx.getThreadCpuTime(t.threadId());
            Thread.sleep(500);
            long after = 0;
            for (Thread t : workers) after += mx.getThreadCpuTime(t.threadId());
            long usedMs = (after - before) / 1_000_000;
            // other test classes' pools may be alive in this JVM too: all of them must be idle here
            assertTrue(usedMs < 50, "idle workers used " + usedMs + " ms of CPU in 500 ms (" + workers.size() + " threads)");

            // the parked workers take part in the next job: every task index runs exactly once, on more than one thread
            int[] again = new int[4096];
            java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
            pool.forRange(4096, 1, (from, to) -> {
                names.add(Thread.currentThread().getName());
                for (int i = from; i < to; i++) again[i]++;
                long spin = System.nanoTime() + 20_000;
                while (System.nanoTime() < spin) Thread.onSpinWait();
            });
            int[] ones = new int[4096];
            java.util.Arrays.fill(ones, 1);
            assertArrayEquals(ones, again);
            assertTrue(names.size() > 1, "ran on " + names);
        }
    }

    /**
     * The caller of forRange, done with its own chunks, sleeps while a slower lane finishes (a cold server's lanes run
     * interpreted code for a while, and the JIT needs the cores): it used to yield in a loop, which on an idle core is a
     * busy wait.
     */
    @Test
    void callerWaitingForASlowLaneSleeps() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isCurrentThreadCpuTimeSupported(), "no thread CPU time on this JVM");
        try (WorkerPool pool = new WorkerPool(2)) {
            java.util.concurrent.CountDownLatch workerStarted = new java.util.concurrent.CountDownLatch(1);
            int[] done = new int[2];
            long cpu0 = mx.getCurrentThreadCpuTime(), wall0 = System.nanoTime();
            pool.forRange(2, 1, (from, to) -> {
                try {
                    if (Thread.currentThread().getName().startsWith("ember-worker-")) {
                        workerStarted.countDown();
                        Thread.sleep(400);   // the slow lane
                    } else {
                        workerStarted.await(5, java.util.concurrent.TimeUnit.SECONDS);   // let the worker take a task
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = from; i < to; i++) done[i]++;
            });
            long cpuMs = (mx.getCurrentThreadCpuTime() - cpu0) / 1_000_000, wallMs = (System.nanoTime() - wall0) / 1_000_000;
            assertArrayEquals(new int[] {1, 1}, done);
            assertTrue(wallMs >= 350, "forRange returned before the slow lane finished: " + wallMs + " ms");
            assertTrue(cpuMs < 100, "the waiting caller used " + cpuMs + " ms of CPU in " + wallMs + " ms");
        }
    }
}
