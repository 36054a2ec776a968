package dev.ember.compute.opencl;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U16Buffer;
import dev.ember.compute.dsl.U8Buffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;


/**
 * The kernels on an OpenCL 1.2 device, through the system's ICD loader: one context and one in-order
 * command queue on the selected device ({@link OpenClConfig#device()}). The OpenCL C program of each kernel
 * class comes from a source provider ({@link OpenClKernelSources#translator()} by default), is built once
 * per class (or loaded from the on-disk binary cache) and each of its kernels is created once.
 * Uploads and downloads are blocking; launches are asynchronous until {@link #finish} or a download.
 * Calls are serialized on the backend.
 */
public final class OpenClBackend implements Backend {
    private static final System.Logger LOG = System.getLogger(OpenClBackend.class.getName());
    private static final int PENDING_EVENT_LIMIT = 1024;

    /** Where a kernel class's program came from when it was first needed. */
    public enum ProgramOrigin {
        /** compiled from OpenCL C source (and then stored in the cache, when there is one) */
        SOURCE,
        /** loaded from a binary in the program cache */
        CACHE
    }

    private record Program(MemorySegment handle, ProgramOrigin origin) {}

    private record PendingEvent(String kernel, MemorySegment event) {}

    private final OpenCl cl;
    private final OpenClDevice device;
    private final OpenClConfig config;
    private final Function<Class<?>, String> sources;
    private final OpenClProgramCache cache;
    private final MemorySegment context;
    private final MemorySegment queue;
    private final Arena scratchArena = Arena.ofShared();
    private final MemorySegment argValue;
    private final MemorySegment globalSize;
    private final MemorySegment localSize;
    private final MemorySegment eventOut;
    private final MemorySegment zero4;
    private final Map<Class<?>, Program> programs = new HashMap<>();
    private final Map<KernelRef, MemorySegment> kernels = new HashMap<>();
    private final Set<OpenClBuffer> buffers = new LinkedHashSet<>();
    private final List<PendingEvent> events = new ArrayList<>();
    private final Map<String, Long> kernelNanos = new LinkedHashMap<>();
    private boolean closed;

    private OpenClBackend(OpenCl cl, OpenClDevice device, OpenClConfig config, Function<Class<?>, String> sources) {
        this.cl = cl;
        this.device = device;
        this.config = config;
        this.sources = sources;
        this.cache = config.cacheDir() == null ? null : new OpenClProgramCache(config.cacheDir());
        this.context = cl.createContext(device.id());
        try {
            this.queue = cl.createCommandQueue(context, device.id(), config.profiling() ? OpenCl.CL_QUEUE_PROFILING_ENABLE : 0);
        } catch (RuntimeException e) {
            cl.releaseContext(context);
            throw e;
        }
        this.argValue = scratchArena.allocate(8, 8);
        this.globalSize = scratchArena.allocate(ValueLayout.JAVA_LONG, 3);
        this.localSize = scratchArena.allocate(ValueLayout.JAVA_LONG, 3);
        this.eventOut = scratchArena.allocate(ValueLayout.ADDRESS);
        this.zero4 = scratchArena.allocate(4, 4);
    }

    /**
     * Opens the device {@link OpenClConfig#fromSystem()} selects, with kernel programs from
     * {@link OpenClKernelSources#translator()}.
     *
     * @throws dev.ember.compute.BackendUnavailableException when there is no OpenCL loader, platform or matching device
     */
    public static OpenClBackend open() {
        return open(OpenClConfig.fromSystem(), OpenClKernelSources.translator());
    }

    /**
     * Opens the device {@code config} selects; {@code sources} gives the OpenCL C program of a kernel class
     * (one {@code __kernel} per {@code @Kernel} method, named as the method).
     *
     * @throws dev.ember.compute.BackendUnavailableException when there is no OpenCL loader, platform or matching device
     */
    public static OpenClBackend open(OpenClConfig config, Function<Class<?>, String> sources) {
        OpenCl cl = OpenCl.system();
        OpenClDevice device = OpenClDevice.select(OpenClDevice.list(cl), config.device());
        return new OpenClBackend(cl, device, config, sources);
    }

    /**
     * Every OpenCL device on this machine, numbered as {@code ember.opencl.device} counts them.
     *
     * @throws dev.ember.compute.BackendUnavailableException when there is no OpenCL ICD loader
     */
    public static List<OpenClDevice> devices() {
        return OpenClDevice.list(OpenCl.system());
    }

    /** The devices one per line, or why there are none. */
    public static String describeDevices() {
        try {
            List<OpenClDevice> all = devices();
            return all.isEmpty() ? "no OpenCL devices (the ICD loader lists no platform with a device)\n" : OpenClDevice.describe(all);
        } catch (dev.ember.compute.BackendUnavailableException e) {
            return "no OpenCL: " + e.getMessage() + "\n";
        }
    }

    public OpenClDevice device() {
        return device;
    }

    public OpenClConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "opencl (" + device.platformName() + ": " + device.name() + ")";
    }

    @Override
    public long maxAllocationBytes() {
        return device.maxAllocationBytes();
    }

    @Override
    public synchronized DeviceBuffer allocate(long bytes) {
        checkOpen();
        if (bytes < 0) throw new IllegalArgumentException("negative buffer size " + bytes);
        if (bytes > device.maxAllocationBytes()) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes (" + OpenClDevice.bytes(bytes) + ") in one buffer on " + name()
                    + ": the device allows at most " + device.maxAllocationBytes() + " bytes (" + OpenClDevice.bytes(device.maxAllocationBytes())
                    + ", CL_DEVICE_MAX_MEM_ALLOC_SIZE); split the data into several buffers");
        }
        long size = Math.max(1, bytes);
        MemorySegment mem = cl.createBuffer(context, OpenCl.CL_MEM_READ_WRITE, size);
        OpenClBuffer buffer = new OpenClBuffer(this, mem, bytes);
        buffers.add(buffer);
        try {
            cl.enqueueFillBuffer(queue, mem, size % 4 == 0 ? zero4 : zero4.asSlice(0, 1), 0, size);
        } catch (RuntimeException e) {
            free(buffer);
            throw e;
        }
        return buffer;
    }

    @Override
    public synchronized void upload(DeviceBuffer dst, long dstOffset, MemorySegment src) {
        checkOpen();
        OpenClBuffer b = own(dst);
        checkRange("upload", b, dstOffset, src.byteSize());
        if (src.byteSize() == 0) return;
        if (src.isNative()) {
            cl.enqueueWriteBuffer(queue, b.mem(), true, dstOffset, src.byteSize(), src);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staged = a.allocate(src.byteSize(), 16);
            staged.copyFrom(src);
            cl.enqueueWriteBuffer(queue, b.mem(), true, dstOffset, src.byteSize(), staged);
        }
    }

    @Override
    public synchronized void download(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        checkOpen();
        OpenClBuffer b = own(src);
        checkRange("download", b, srcOffset, dst.byteSize());
        if (dst.byteSize() == 0) {
            finish();
            return;
        }
        if (dst.isNative()) {
            cl.enqueueReadBuffer(queue, b.mem(), true, srcOffset, dst.byteSize(), dst);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment staged = a.allocate(dst.byteSize(), 16);
                cl.enqueueReadBuffer(queue, b.mem(), true, srcOffset, dst.byteSize(), staged);
                dst.copyFrom(staged);
            }
        }
        collectProfiles();
    }

    private static void checkRange(String what, OpenClBuffer b, long offset, long bytes) {
        if (offset < 0 || offset > b.byteSize() || bytes > b.byteSize() - offset) {
            throw new IndexOutOfBoundsException(what + " of " + bytes + " bytes at offset " + offset + " is outside a buffer of " + b.byteSize() + " bytes");
        }
    }

    private OpenClBuffer own(DeviceBuffer buffer) {
        if (!(buffer instanceof OpenClBuffer b) || b.owner() != this) throw new IllegalArgumentException("not a buffer of this OpenCL backend: " + buffer);
        return b;
    }

    @Override
    public synchronized void launch(KernelRef kernel, Launch launch, Object... args) {
        checkOpen();
        MemorySegment handle = kernel(kernel);
        setArguments(kernel, handle, args);
        for (int d = 0; d < 3; d++) {
            globalSize.setAtIndex(ValueLayout.JAVA_LONG, d, launch.globalSize(d));
            localSize.setAtIndex(ValueLayout.JAVA_LONG, d, launch.local()[d]);
        }
        try {
            cl.enqueueNDRangeKernel(queue, handle, 3, globalSize, localSize, config.profiling() ? eventOut : MemorySegment.NULL);
        } catch (OpenClException e) {
            throw new OpenClException(e.call(), e.code(), kernel + " with " + launch + " on " + device.name()
                    + " (max work-group size " + device.maxWorkGroupSize() + ")");
        }
        if (config.profiling()) {
            events.add(new PendingEvent(kernel.toString(), eventOut.get(ValueLayout.ADDRESS, 0)));
            if (events.size() >= PENDING_EVENT_LIMIT) collectProfiles();
        }
    }

    private void setArguments(KernelRef kernel, MemorySegment handle, Object[] args) {
        Class<?>[] types = kernel.method().getParameterTypes();
        if (args.length != types.length - 1) {
            throw new IllegalArgumentException("kernel " + kernel + " takes " + (types.length - 1) + " arguments, got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            Class<?> t = types[i + 1];
            Object a = args[i];
            String where = "argument " + i + " (" + kernel.method().getParameters()[i + 1].getName() + ") of " + kernel;
            long size;
            if (t == int.class) {
                if (!(a instanceof Integer v)) throw new IllegalArgumentException(where + " must be an Integer, got " + a);
                argValue.set(ValueLayout.JAVA_INT, 0, v);
                size = 4;
            } else if (t == float.class) {
                if (!(a instanceof Float v)) throw new IllegalArgumentException(where + " must be a Float, got " + a);
                argValue.set(ValueLayout.JAVA_FLOAT, 0, v);
                size = 4;
            } else if (t == F32Buffer.class || t == I32Buffer.class || t == U16Buffer.class || t == U8Buffer.class) {
                if (!(a instanceof DeviceBuffer db)) throw new IllegalArgumentException(where + " must be a DeviceBuffer, got " + a);
                argValue.set(ValueLayout.ADDRESS, 0, own(db).mem());
                size = ValueLayout.ADDRESS.byteSize();
            } else {
                throw new IllegalArgumentException(where + " has unsupported type " + t.getSimpleName());
            }
            try {
                cl.setKernelArg(handle, i, size, argValue);
            } catch (OpenClException e) {
                throw new OpenClException(e.call(), e.code(), where + " (does the OpenCL C signature match the Java kernel?)");
            }
        }
    }

    private MemorySegment kernel(KernelRef ref) {
        MemorySegment k = kernels.get(ref);
        if (k != null) return k;
        Program program = program(ref.owner());
        try {
            k = cl.createKernel(program.handle(), dev.ember.compute.dsl.KernelTranslator.kernelName(ref));
        } catch (OpenClException e) {
            throw new OpenClException(e.call(), e.code(), "no __kernel " + dev.ember.compute.dsl.KernelTranslator.kernelName(ref) + " in the program of " + ref.owner().getName());
        }
        kernels.put(ref, k);
        return k;
    }

    /**
     * Builds the program of {@code kernelClass} now (or loads it from the cache) rather than at its first
     * launch, and says where it came from; later calls return the first answer.
     *
     * @throws OpenClBuildException when the source does not compile (the message holds the build log)
     */
    public synchronized ProgramOrigin prepare(Class<?> kernelClass) {
        checkOpen();
        return program(kernelClass).origin();
    }

    private Program program(Class<?> kernelClass) {
        Program p = programs.get(kernelClass);
        if (p != null) return p;
        String source = sources.apply(kernelClass);
        if (source == null || source.isBlank()) throw new IllegalStateException("the OpenCL source provider gave no program for " + kernelClass.getName());
        long start = System.nanoTime();
        byte[] key = OpenClProgramCache.key(source, device.name(), device.driverVersion(), config.buildOptions());
        MemorySegment handle = null;
        if (cache != null) {
            Optional<byte[]> binary = cache.load(key);
            if (binary.isPresent()) handle = fromBinary(kernelClass, binary.get(), cache.path(key));
        }
        ProgramOrigin origin = handle != null ? ProgramOrigin.CACHE : ProgramOrigin.SOURCE;
        if (handle == null) {
            handle = fromSource(kernelClass, source);
            if (cache != null) {
                try {
                    cache.store(key, cl.programBinary(handle));
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, () -> String.format(java.util.Locale.ROOT, "could not read the program binary of %s for the cache: %s", kernelClass.getName(), e.getMessage()));
                }
            }
        }
        p = new Program(handle, origin);
        programs.put(kernelClass, p);
        LOG.log(System.Logger.Level.DEBUG, () -> String.format(java.util.Locale.ROOT, "OpenCL program of %s: %s in %.1f ms", kernelClass.getName(), origin, (System.nanoTime() - start) / 1e6));
        return p;
    }

    private MemorySegment fromBinary(Class<?> kernelClass, byte[] binary, java.nio.file.Path file) {
        MemorySegment program;
        try {
            program = cl.createProgramWithBinary(context, device.id(), binary);
        } catch (OpenClException e) {
            LOG.log(System.Logger.Level.INFO, () -> String.format(java.util.Locale.ROOT, "ignoring OpenCL program cache entry %s for %s: %s; rebuilding from source", file, kernelClass.getName(), e.getMessage()));
            return null;
        }
        int rc = cl.buildProgram(program, device.id(), config.buildOptions());
        if (rc != OpenCl.CL_SUCCESS) {
            LOG.log(System.Logger.Level.INFO, () -> String.format(java.util.Locale.ROOT, "ignoring OpenCL program cache entry %s for %s: clBuildProgram gave %s; rebuilding from source", file, kernelClass.getName(), ClErrors.name(rc)));
            cl.releaseProgram(program);
            return null;
        }
        return program;
    }

    private MemorySegment fromSource(Class<?> kernelClass, String source) {
        MemorySegment program = cl.createProgramWithSource(context, source);
        int rc = cl.buildProgram(program, device.id(), config.buildOptions());
        if (rc != OpenCl.CL_SUCCESS) {
            String log;
            try {
                log = cl.buildLog(program, device.id());
            } catch (OpenClException e) {
                log = "(no build log: " + e.getMessage() + ")";
            }
            cl.releaseProgram(program);
            throw new OpenClBuildException(kernelClass.getName() + " on " + device.name(), rc, log);
        }
        return program;
    }

    /**
     * Device time per kernel ({@code Class.method}) in nanoseconds, summed over the launches completed so
     * far; empty unless {@link OpenClConfig#profiling()} is on. Waits for launches still running.
     */
    public synchronized Map<String, Long> kernelNanos() {
        if (!closed) collectProfiles();
        return Map.copyOf(kernelNanos);
    }

    private void collectProfiles() {
        if (events.isEmpty()) return;
        for (PendingEvent pe : events) {
            eventOut.set(ValueLayout.ADDRESS, 0, pe.event());
            cl.waitForEvents(1, eventOut);
            long ns = cl.eventProfilingInfo(pe.event(), OpenCl.CL_PROFILING_COMMAND_END) - cl.eventProfilingInfo(pe.event(), OpenCl.CL_PROFILING_COMMAND_START);
            kernelNanos.merge(pe.kernel(), ns, Long::sum);
            cl.releaseEvent(pe.event());
        }
        events.clear();
    }

    @Override
    public synchronized void finish() {
        checkOpen();
        cl.finish(queue);
        collectProfiles();
    }

    synchronized void free(OpenClBuffer buffer) {
        if (buffer.freed() || closed) return;
        buffer.markFreed();
        buffers.remove(buffer);
        cl.releaseMemObject(buffer.handle());
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(name() + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            cl.finish(queue);
            collectProfiles();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, () -> String.format(java.util.Locale.ROOT, "OpenCL queue failed while closing %s: %s", name(), e.getMessage()));
        }
        closed = true;
        for (PendingEvent pe : events) cl.releaseEvent(pe.event());
        events.clear();
        for (MemorySegment k : kernels.values()) cl.releaseKernel(k);
        kernels.clear();
        for (Program p : programs.values()) cl.releaseProgram(p.handle());
        programs.clear();
        for (OpenClBuffer b : buffers) {
            b.markFreed();
            cl.releaseMemObject(b.handle());
        }
        buffers.clear();
        cl.releaseCommandQueue(queue);
        cl.releaseContext(context);
        scratchArena.close();
    }

    @Override
    public String toString() {
        return name();
    }
}
