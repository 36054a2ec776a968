package dev.ember.compute.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for data-parallel loops. The caller thread works too, so a pool
 * of {@code threads} runs {@code threads} lanes. A job is a range of task indices handed out in order
 * through one atomic counter; there is no allocation and no thread creation per job.
 */
public final class WorkerPool implements AutoCloseable {
    /** A loop body over task indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile RangeBody body;
    private volatile int taskCount;
    private volatile int chunk;
    private volatile Throwable failure;
    /** The thread waiting in {@link #forRange} for the current job. */
    private volatile Thread caller;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workLoop, "ember-worker-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** Number of lanes, the caller included. */
    public int threads() {
        return threads;
    }

    /** Default lane count: the processors the JVM may use (on VMs and containers these are the cores it was given). */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Runs {@code body} over {@code [0, tasks)} split into chunks of {@code chunk} tasks, on every lane,
     * and returns when all are done. Not reentrant: one job at a time.
     */
    public void forRange(int tasks, int chunk, RangeBody body) {
        if (tasks <= 0) return;
        if (threads == 1 || tasks <= chunk) {
            body.run(0, tasks);
            return;
        }
        this.body = body;
        this.taskCount = tasks;
        this.chunk = Math.max(1, chunk);
        this.failure = null;
        next.set(0);
        caller = Thread.currentThread();
        pending.set(workers.length);
        generation++; // publishes the job
        for (Thread w : workers) LockSupport.unpark(w);
        drain();
        // Spin briefly (the other lanes are usually finishing their last chunk), then sleep until the last lane
        // unparks us: on a machine with more runnable threads than cores (the JIT compiling the kernels while a cold
        // server answers its first request), spinning or yielding in a loop would take the core from the ones we wait for.
        for (int spins = 0; spins < 4096 && pending.get() > 0; spins++) Thread.onSpinWait();
        while (pending.get() > 0) LockSupport.park(this);
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /** Splits {@code tasks} evenly over the lanes (a few chunks per lane to balance uneven speeds). */
    public void forRange(int tasks, RangeBody body) {
        int chunk = Math.max(1, (tasks + threads * 4 - 1) / (threads * 4));
        forRange(tasks, chunk, body);
    }

    private void drain() {
        RangeBody b = body;
        int n = taskCount;
        int c = chunk;
        while (true) {
            int from = next.getAndAdd(c);
            if (from >= n) return;
            b.run(from, Math.min(n, from + c));
        }
    }

    private void workLoop() {
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                // Spin briefly (jobs come back to back during a forward pass), then sleep until forRange publishes the
                // next job and unparks this thread (an unpark that comes before park() makes it return at once). A timed
                // park here would wake the thread every few hundred microseconds into another spin: an idle server then
                // burned ~70% of a core, and a starting one took that from the JIT and Quarkus.
                for (int i = 0; i < 20_000 && generation == seen && !closed; i++) Thread.onSpinWait();
                while (generation == seen && !closed) LockSupport.park(this);
                continue;
            }
            seen = g;
            try {
                drain();
            } catch (Throwable t) {
                failure = t;
                next.set(Integer.MAX_VALUE / 2); // stop handing out work
            } finally {
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
