package dev.ember.compute.dsl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * What a kernel invocation sees of its launch, in the manner of TornadoVM's {@code KernelContext} and
 * WebGPU's compute built-ins: its ids, the launch sizes, work-group barriers, work-group-shared arrays
 * and atomics. On the JVM the {@link JavaBackend} creates one per running work item; on devices the
 * translator maps each call to the target's built-in ({@code get_global_id}, {@code threadIdx}, ...).
 */
public final class KernelContext {
    /** State shared by the items of one work-group. */
    static final class Group {
        final CyclicBarrier barrier;
        final List<Object> shared = new ArrayList<>();

        Group(int items, boolean concurrent) {
            this.barrier = concurrent && items > 1 ? new CyclicBarrier(items) : null;
        }

        synchronized Object shared(int index, java.util.function.Supplier<Object> create) {
            while (shared.size() <= index) shared.add(null);
            Object o = shared.get(index);
            if (o == null) {
                o = create.get();
                shared.set(index, o);
            }
            return o;
        }
    }

    private final Launch launch;
    private final String kernel;
    final int[] groupId = new int[3];
    final int[] localId = new int[3];
    Group group;
    private int sharedCalls;

    KernelContext(Launch launch, String kernel) {
        this.launch = launch;
        this.kernel = kernel;
    }

    void reset(Group g) {
        this.group = g;
        this.sharedCalls = 0;
    }

    public int globalId(int dim) {
        return groupId[dim] * launch.local()[dim] + localId[dim];
    }

    public int localId(int dim) {
        return localId[dim];
    }

    public int groupId(int dim) {
        return groupId[dim];
    }

    public int localSize(int dim) {
        return launch.local()[dim];
    }

    public int groupCount(int dim) {
        return launch.groups()[dim];
    }

    public int globalSize(int dim) {
        return launch.groups()[dim] * launch.local()[dim];
    }

    /** Waits until every item of the work-group has reached this barrier; work-group-shared memory is then consistent. */
    public void barrier() {
        if (group.barrier == null) {
            if (launch.localCount() == 1) return;
            throw new IllegalStateException("kernel " + kernel + " calls barrier() but is not declared @Kernel(barrier = true)");
        }
        try {
            group.barrier.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("kernel " + kernel + " interrupted at a barrier", e);
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("kernel " + kernel + ": another work item of the group failed", e);
        }
    }

    /**
     * A work-group-shared float array (OpenCL {@code __local}, CUDA {@code __shared__}). Every item of a
     * group gets the same array for the same call site; {@code size} must be a compile-time constant.
     */
    public float[] localFloats(int size) {
        return (float[]) group.shared(sharedCalls++, () -> new float[size]);
    }

    /** A work-group-shared int array; see {@link #localFloats}. */
    public int[] localInts(int size) {
        return (int[]) group.shared(sharedCalls++, () -> new int[size]);
    }

    /** Atomically adds {@code delta} to {@code buffer[index]} and returns the old value. */
    public int atomicAdd(I32Buffer buffer, int index, int delta) {
        synchronized (buffer.segment()) {
            int old = buffer.get(index);
            buffer.set(index, old + delta);
            return old;
        }
    }
}
