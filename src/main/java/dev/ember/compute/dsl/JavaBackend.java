package dev.ember.compute.dsl;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * Runs kernels as Java: the reference every device backend is tested against. Work-groups run in
 * parallel on the common fork-join pool; the items of a group run one after another, or — for a kernel
 * declared {@code @Kernel(barrier = true)} — as one virtual thread each, meeting at every barrier.
 * Buffers are off-heap memory segments; launches complete before {@link #launch} returns.
 */
public final class JavaBackend implements Backend {
    private static final MethodType ITEM = MethodType.methodType(void.class, KernelContext.class);

    private final Map<KernelRef, MethodHandle> handles = new ConcurrentHashMap<>();
    private final List<JavaBuffer> buffers = new ArrayList<>();
    private boolean closed;

    /** A buffer of host memory. */
    public static final class JavaBuffer implements DeviceBuffer {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment segment;
        private boolean freed;

        JavaBuffer(long bytes) {
            this.segment = arena.allocate(Math.max(1, bytes), 16);
        }

        public MemorySegment segment() {
            return segment;
        }

        @Override
        public long byteSize() {
            return segment.byteSize();
        }

        @Override
        public synchronized void close() {
            if (!freed) {
                freed = true;
                arena.close();
            }
        }
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public long maxAllocationBytes() {
        return Long.MAX_VALUE;
    }

    @Override
    public synchronized DeviceBuffer allocate(long bytes) {
        if (closed) throw new IllegalStateException("backend closed");
        JavaBuffer b = new JavaBuffer(bytes);
        buffers.add(b);
        return b;
    }

    @Override
    public void upload(DeviceBuffer dst, long dstOffset, MemorySegment src) {
        MemorySegment.copy(src, 0, segment(dst), dstOffset, src.byteSize());
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        MemorySegment.copy(segment(src), srcOffset, dst, 0, dst.byteSize());
    }

    private static MemorySegment segment(DeviceBuffer b) {
        if (!(b instanceof JavaBuffer jb)) throw new IllegalArgumentException("not a java backend buffer: " + b);
        return jb.segment();
    }

    @Override
    public void launch(KernelRef kernel, Launch launch, Object... args) {
        MethodHandle item = bind(kernel, args);
        boolean concurrent = kernel.barrier() && launch.localCount() > 1;
        IntStream.range(0, launch.groupCount()).parallel().forEach(g -> runGroup(kernel, launch, item, g, concurrent));
    }

    private MethodHandle bind(KernelRef kernel, Object[] args) {
        MethodHandle h = handles.computeIfAbsent(kernel, k -> {
            try {
                return MethodHandles.publicLookup().unreflect(k.method());
            } catch (IllegalAccessException e) {
                throw new IllegalArgumentException("kernel " + k + " is not public", e);
            }
        });
        Class<?>[] types = kernel.method().getParameterTypes();
        if (args.length != types.length - 1) {
            throw new IllegalArgumentException("kernel " + kernel + " takes " + (types.length - 1) + " arguments, got " + args.length);
        }
        Object[] bound = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            Class<?> t = types[i + 1];
            Object a = args[i];
            String where = "argument " + i + " (" + kernel.method().getParameters()[i + 1].getName() + ") of " + kernel;
            if (t == int.class) {
                if (!(a instanceof Integer)) throw new IllegalArgumentException(where + " must be an Integer, got " + a);
                bound[i] = a;
            } else if (t == float.class) {
                if (!(a instanceof Float)) throw new IllegalArgumentException(where + " must be a Float, got " + a);
                bound[i] = a;
            } else if (a instanceof DeviceBuffer db) {
                MemorySegment s = segment(db);
                if (t == F32Buffer.class) bound[i] = new F32Buffer(s);
                else if (t == I32Buffer.class) bound[i] = new I32Buffer(s);
                else if (t == U16Buffer.class) bound[i] = new U16Buffer(s);
                else if (t == U8Buffer.class) bound[i] = new U8Buffer(s);
                else throw new IllegalArgumentException(where + " has unsupported type " + t.getSimpleName());
            } else {
                throw new IllegalArgumentException(where + " must be a DeviceBuffer, got " + a);
            }
        }
        return MethodHandles.insertArguments(h, 1, bound).asType(ITEM);
    }

    private static void runGroup(KernelRef kernel, Launch launch, MethodHandle item, int g, boolean concurrent) {
        int[] groups = launch.groups();
        int[] local = launch.local();
        int gx = g % groups[0];
        int gy = (g / groups[0]) % groups[1];
        int gz = g / (groups[0] * groups[1]);
        int items = launch.localCount();
        KernelContext.Group group = new KernelContext.Group(items, concurrent);
        if (!concurrent) {
            KernelContext ctx = new KernelContext(launch, kernel.toString());
            ctx.groupId[0] = gx;
            ctx.groupId[1] = gy;
            ctx.groupId[2] = gz;
            for (int l = 0; l < items; l++) {
                ctx.localId[0] = l % local[0];
                ctx.localId[1] = (l / local[0]) % local[1];
                ctx.localId[2] = l / (local[0] * local[1]);
                ctx.reset(group);
                invoke(kernel, item, ctx);
            }
            return;
        }
        Thread[] threads = new Thread[items];
        Throwable[] failure = new Throwable[1];
        for (int l = 0; l < items; l++) {
            KernelContext ctx = new KernelContext(launch, kernel.toString());
            ctx.groupId[0] = gx;
            ctx.groupId[1] = gy;
            ctx.groupId[2] = gz;
            ctx.localId[0] = l % local[0];
            ctx.localId[1] = (l / local[0]) % local[1];
            ctx.localId[2] = l / (local[0] * local[1]);
            ctx.reset(group);
            threads[l] = Thread.ofVirtual().unstarted(() -> {
                try {
                    invoke(kernel, item, ctx);
                } catch (Throwable t) {
                    synchronized (failure) {
                        if (failure[0] == null) failure[0] = t;
                    }
                    group.barrier.reset(); // release the others: they see a broken barrier
                }
            });
        }
        for (Thread t : threads) t.start();
        try {
            for (Thread t : threads) t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + kernel, e);
        }
        if (failure[0] != null) {
            if (failure[0] instanceof RuntimeException re) throw re;
            throw new IllegalStateException("kernel " + kernel + " failed", failure[0]);
        }
    }

    private static void invoke(KernelRef kernel, MethodHandle item, KernelContext ctx) {
        try {
            item.invokeExact(ctx);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("kernel " + kernel + " failed", t);
        }
    }

    @Override
    public void finish() {}

    @Override
    public synchronized void close() {
        closed = true;
        for (JavaBuffer b : buffers) b.close();
        buffers.clear();
    }
}
