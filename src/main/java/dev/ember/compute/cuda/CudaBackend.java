package dev.ember.compute.cuda;

import dev.ember.compute.Backend;
import dev.ember.compute.BackendUnavailableException;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs kernels on an NVIDIA GPU through the CUDA driver API: the device's primary context, one blocking
 * stream for every launch, {@code cuMemAlloc} buffers.
 *
 * <p>Kernels come as CUDA C, one translation unit per kernel class, from the {@code cudaSource}
 * function given at open ({@link CudaSources#translated} for {@code Backends.open("cuda")}). The source
 * must define each {@code @Kernel} method as {@code extern "C" __global__ void name(...)} with the Java
 * method's parameters after the {@code KernelContext}, in order: a pointer for each buffer, {@code int},
 * {@code float}. NVRTC compiles it to PTX for the device's compute capability
 * ({@code --gpu-architecture=compute_90} on an H100), cached on disk by {@link PtxCache}; the module is
 * loaded once per class and its functions looked up once per kernel. A launch maps work-groups to
 * blocks and work-items to threads ({@code Launch.groups} → grid, {@code Launch.local} → block).
 *
 * <p>Every call makes the context current on the calling thread first, so any thread may use the
 * backend; calls are serialized. Properties: {@code ember.cuda.device} (device index, default 0),
 * {@code ember.cuda.nvrtc} (NVRTC library), {@code ember.cuda.cache-dir} (PTX cache),
 * {@code ember.cuda.driver} (driver library, default {@code libcuda.so.1}).
 */
public final class CudaBackend implements Backend {
    static final String DEVICE_PROPERTY = "ember.cuda.device";

    private final CudaDriver driver;
    private final Nvrtc nvrtc;
    private final String nvrtcVersion;
    private final PtxCache cache;
    private final Function<Class<?>, String> cudaSource;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final String deviceName;
    private final int computeCapability;
    private final int maxThreadsPerBlock;
    private final long totalMemory;
    private final Set<CudaBuffer> buffers = new LinkedHashSet<>();
    private final Map<Class<?>, MemorySegment> modules = new HashMap<>();
    private final Map<KernelRef, MemorySegment> functions = new HashMap<>();
    private boolean closed;

    private CudaBackend(CudaDriver driver, Nvrtc nvrtc, PtxCache cache, Function<Class<?>, String> cudaSource, int device) {
        this.driver = driver;
        this.nvrtc = nvrtc;
        this.nvrtcVersion = nvrtc.version();
        this.cache = cache;
        this.cudaSource = cudaSource;
        this.device = device;
        this.deviceName = driver.deviceName(device);
        this.computeCapability = 10 * driver.attribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device)
                + driver.attribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        this.maxThreadsPerBlock = driver.attribute(CudaDriver.ATTRIBUTE_MAX_THREADS_PER_BLOCK, device);
        this.totalMemory = driver.totalMemory(device);
        this.context = driver.primaryContextRetain(device);
        MemorySegment s;
        try {
            driver.setCurrent(context);
            s = driver.createStream(CudaDriver.STREAM_DEFAULT);
        } catch (RuntimeException e) {
            driver.primaryContextRelease(device);
            throw e;
        }
        this.stream = s;
    }

    /** Opens the device {@code ember.cuda.device} (default 0), taking kernel sources from {@code cudaSource}. */
    public static CudaBackend open(Function<Class<?>, String> cudaSource) {
        return open(configuredDevice(), cudaSource);
    }

    /**
     * Opens device {@code ordinal}.
     *
     * @throws BackendUnavailableException when there is no driver library, {@code cuInit} fails, there
     *     are no devices, or NVRTC cannot be found (the message says which)
     * @throws IllegalArgumentException when {@code ordinal} is not a device of this machine
     */
    public static CudaBackend open(int ordinal, Function<Class<?>, String> cudaSource) {
        return open(ordinal, cudaSource, PtxCache.configured());
    }

    /** Opens device {@code ordinal} with PTX cached in {@code cache}. */
    static CudaBackend open(int ordinal, Function<Class<?>, String> cudaSource, PtxCache cache) {
        Objects.requireNonNull(cudaSource, "cudaSource");
        CudaDriver driver = CudaDriver.load();
        try {
            driver.init();
        } catch (CudaException e) {
            throw new BackendUnavailableException(e.getMessage(), e);
        }
        int count = driver.deviceCount();
        if (count == 0) throw new BackendUnavailableException("no CUDA devices: cuDeviceGetCount returned 0");
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException(DEVICE_PROPERTY + "=" + ordinal + " but this machine has " + count + " CUDA device(s): 0.." + (count - 1));
        }
        Nvrtc nvrtc = new Nvrtc(NvrtcLocator.find());
        return new CudaBackend(driver, nvrtc, cache, cudaSource, driver.device(ordinal));
    }

    private static int configuredDevice() {
        String s = System.getProperty(DEVICE_PROPERTY, "0").strip();
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(DEVICE_PROPERTY + " must be a device index, got '" + s + "'", e);
        }
    }

    @Override
    public String name() {
        return "cuda (" + deviceName + ")";
    }

    /** e.g. 90 for an H100 (sm_90). */
    public int computeCapability() {
        return computeCapability;
    }

    /** The NVRTC target, e.g. {@code compute_90}. */
    public String architecture() {
        return "compute_" + computeCapability;
    }

    /** The most threads (work-items) one block (work-group) may have. */
    public int maxThreadsPerBlock() {
        return maxThreadsPerBlock;
    }

    /** e.g. {@code libnvrtc.so.13 (NVRTC 13.0)}. */
    public String compiler() {
        return nvrtc.library() + " (NVRTC " + nvrtcVersion + ")";
    }

    /** CUDA has no per-allocation limit below the device's memory. */
    @Override
    public long maxAllocationBytes() {
        return totalMemory;
    }

    @Override
    public synchronized DeviceBuffer allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        current();
        long size = Math.max(1, bytes); // cuMemAlloc rejects 0 bytes
        long pointer = driver.alloc(size);
        try {
            driver.memset(pointer, (byte) 0, size);
        } catch (RuntimeException e) {
            driver.free(pointer);
            throw e;
        }
        CudaBuffer b = new CudaBuffer(this, pointer, bytes);
        buffers.add(b);
        return b;
    }

    synchronized void free(CudaBuffer b) {
        if (b.owner() != this) throw new IllegalArgumentException(b + " belongs to another backend");
        if (closed || !b.markFreed()) return;
        buffers.remove(b);
        current();
        driver.free(b.pointer());
    }

    @Override
    public synchronized void upload(DeviceBuffer dst, long dstOffset, MemorySegment src) {
        long dstPointer = range(dst, dstOffset, src.byteSize(), "upload");
        if (src.byteSize() == 0) return;
        current();
        if (src.isNative()) {
            driver.copyToDevice(dstPointer, src, src.byteSize());
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staged = arena.allocate(src.byteSize(), 16);
            MemorySegment.copy(src, 0, staged, 0, src.byteSize());
            driver.copyToDevice(dstPointer, staged, src.byteSize());
        }
    }

    @Override
    public synchronized void download(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        long srcPointer = range(src, srcOffset, dst.byteSize(), "download");
        current();
        driver.synchronize(stream);
        if (dst.byteSize() == 0) return;
        if (dst.isNative()) {
            driver.copyToHost(dst, srcPointer, dst.byteSize());
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staged = arena.allocate(dst.byteSize(), 16);
            driver.copyToHost(staged, srcPointer, dst.byteSize());
            MemorySegment.copy(staged, 0, dst, 0, dst.byteSize());
        }
    }

    /** The device address of {@code bytes} at {@code offset} in {@code b}, after checking they lie inside it. */
    private long range(DeviceBuffer b, long offset, long bytes, String what) {
        long pointer = pointer(b);
        if (offset < 0 || bytes < 0 || offset > b.byteSize() - bytes) {
            throw new IndexOutOfBoundsException(what + " of " + bytes + " bytes at offset " + offset + " outside " + b);
        }
        return pointer + offset;
    }

    private long pointer(DeviceBuffer b) {
        if (!(b instanceof CudaBuffer cb) || cb.owner() != this) throw new IllegalArgumentException("not a buffer of this cuda backend: " + b);
        if (cb.freed()) throw new IllegalStateException("use of a freed buffer: " + b);
        return cb.pointer();
    }

    @Override
    public synchronized void launch(KernelRef kernel, Launch launch, Object... args) {
        if (launch.localCount() > maxThreadsPerBlock) {
            throw new IllegalArgumentException(kernel + ": " + launch + " has " + launch.localCount()
                    + " items per work-group; " + deviceName + " allows " + maxThreadsPerBlock);
        }
        current();
        MemorySegment function = function(kernel);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = KernelParams.write(kernel, args, this::pointer, arena);
            driver.launch(() -> "cuLaunchKernel(" + kernel + ", " + launch + ")", function, launch.groups(), launch.local(), stream, params);
        }
    }

    private MemorySegment function(KernelRef kernel) {
        MemorySegment f = functions.get(kernel);
        if (f == null) {
            f = driver.function(module(kernel.owner()), dev.ember.compute.dsl.KernelTranslator.kernelName(kernel));
            functions.put(kernel, f);
        }
        return f;
    }

    private MemorySegment module(Class<?> kernelClass) {
        MemorySegment m = modules.get(kernelClass);
        if (m == null) {
            byte[] ptx = ptx(kernelClass);
            m = driver.loadModule(kernelClass.getSimpleName(), ptx);
            modules.put(kernelClass, m);
        }
        return m;
    }

    /** The PTX of a kernel class: from the disk cache, or compiled by NVRTC and cached. */
    byte[] ptx(Class<?> kernelClass) {
        String source = cudaSource.apply(kernelClass);
        if (source == null) throw new IllegalStateException("no CUDA C source for kernel class " + kernelClass.getName());
        String arch = architecture();
        return cache.get(PtxCache.key(source, arch, nvrtcVersion),
                () -> nvrtc.compile(source, kernelClass.getSimpleName() + ".cu", "--gpu-architecture=" + arch,
                        dev.ember.compute.dsl.Target.CUDA.compilerOptions()));
    }

    @Override
    public synchronized void finish() {
        current();
        driver.synchronize(stream);
    }

    private void current() {
        if (closed) throw new IllegalStateException("cuda backend closed");
        driver.setCurrent(context);
    }

    /** Waits for the stream, then frees every buffer, module and the stream, and releases the primary context; the first failure is thrown after all steps ran. */
    @Override
    public synchronized void close() {
        if (closed) return;
        List<RuntimeException> failures = new ArrayList<>();
        step(failures, () -> driver.setCurrent(context));
        step(failures, () -> driver.synchronize(stream));
        for (CudaBuffer b : buffers) {
            b.markFreed();
            step(failures, () -> driver.free(b.pointer()));
        }
        buffers.clear();
        for (MemorySegment m : modules.values()) step(failures, () -> driver.unloadModule(m));
        modules.clear();
        functions.clear();
        step(failures, () -> driver.destroyStream(stream));
        step(failures, () -> driver.primaryContextRelease(device));
        closed = true;
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            for (int i = 1; i < failures.size(); i++) first.addSuppressed(failures.get(i));
            throw first;
        }
    }

    private static void step(List<RuntimeException> failures, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    @Override
    public String toString() {
        return name() + " sm_" + computeCapability + ", " + compiler();
    }
}
