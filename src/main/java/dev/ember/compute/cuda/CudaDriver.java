package dev.ember.compute.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ember.compute.BackendUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.function.Supplier;

/**
 * The CUDA driver API ({@code libcuda.so.1}) through FFM: the calls the backend makes, each checked, a
 * failure thrown as a {@link CudaException} naming the call and the {@code CUresult}. Handles are
 * {@code CUdevice} → {@code int}, {@code CUdeviceptr} → {@code long}, contexts/modules/functions/streams
 * → {@link MemorySegment} addresses. Calls act on the context current on the calling thread.
 */
final class CudaDriver {
    /** The driver library's name; {@code ember.cuda.driver} names another file. */
    static final String LIBRARY = "libcuda.so.1";

    static final int ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    /** {@code CU_STREAM_DEFAULT}: a blocking stream, ordered with the legacy default stream the synchronous copies use. */
    static final int STREAM_DEFAULT = 0;

    private static final int JIT_ERROR_LOG_BUFFER = 5;
    private static final int JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    private static final int JIT_LOG_BYTES = 16 * 1024;

    private final String library;
    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceTotalMem;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemcpyHtoD;
    private final MethodHandle cuMemcpyDtoH;
    private final MethodHandle cuMemsetD8;
    private final MethodHandle cuModuleLoadDataEx;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamDestroy;

    private CudaDriver(String library, SymbolLookup lib) {
        this.library = library;
        cuGetErrorName = Native.bind(lib, library, "cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        cuInit = Native.bind(lib, library, "cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        cuDriverGetVersion = Native.bind(lib, library, "cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuDeviceGetCount = Native.bind(lib, library, "cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuDeviceGet = Native.bind(lib, library, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetName = Native.bind(lib, library, "cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceTotalMem = Native.bind(lib, library, "cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDeviceGetAttribute = Native.bind(lib, library, "cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cuDevicePrimaryCtxRetain = Native.bind(lib, library, "cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuDevicePrimaryCtxRelease = Native.bind(lib, library, "cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        cuCtxSetCurrent = Native.bind(lib, library, "cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuMemAlloc = Native.bind(lib, library, "cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        cuMemFree = Native.bind(lib, library, "cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        cuMemcpyHtoD = Native.bind(lib, library, "cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        cuMemcpyDtoH = Native.bind(lib, library, "cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        cuMemsetD8 = Native.bind(lib, library, "cuMemsetD8_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG));
        cuModuleLoadDataEx = Native.bind(lib, library, "cuModuleLoadDataEx", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        cuModuleUnload = Native.bind(lib, library, "cuModuleUnload", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuModuleGetFunction = Native.bind(lib, library, "cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuLaunchKernel = Native.bind(lib, library, "cuLaunchKernel", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        cuStreamCreate = Native.bind(lib, library, "cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        cuStreamSynchronize = Native.bind(lib, library, "cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cuStreamDestroy = Native.bind(lib, library, "cuStreamDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /**
     * Loads the driver library: {@code ember.cuda.driver} if set, else {@value #LIBRARY} from the loader's
     * search path.
     *
     * @throws BackendUnavailableException when it cannot be loaded
     */
    static CudaDriver load() {
        String configured = System.getProperty("ember.cuda.driver");
        String library = configured == null || configured.isBlank() ? LIBRARY : configured;
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new BackendUnavailableException(library.equals(LIBRARY)
                    ? LIBRARY + " not found: no NVIDIA driver on this machine"
                    : library + " (ember.cuda.driver) could not be loaded", e);
        }
        return new CudaDriver(library, lib);
    }

    String library() {
        return library;
    }

    /** The name of a {@code CUresult}, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    String errorName(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(ADDRESS);
            int rc = Native.status(() -> (int) cuGetErrorName.invokeExact(result, name));
            String s = rc == 0 ? Native.string(name.get(ADDRESS, 0)) : null;
            return s == null ? "CUresult " + result : s;
        }
    }

    private void check(String call, int result) {
        if (result != 0) throw new CudaException(call, errorName(result), result, null);
    }

    void init() {
        check("cuInit", Native.status(() -> (int) cuInit.invokeExact(0)));
    }

    /** e.g. 13000 for CUDA 13.0. */
    int driverVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDriverGetVersion", Native.status(() -> (int) cuDriverGetVersion.invokeExact(out)));
            return out.get(JAVA_INT, 0);
        }
    }

    int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDeviceGetCount", Native.status(() -> (int) cuDeviceGetCount.invokeExact(out)));
            return out.get(JAVA_INT, 0);
        }
    }

    int device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDeviceGet", Native.status(() -> (int) cuDeviceGet.invokeExact(out, ordinal)));
            return out.get(JAVA_INT, 0);
        }
    }

    String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            int len = 256;
            MemorySegment out = arena.allocate(len);
            check("cuDeviceGetName", Native.status(() -> (int) cuDeviceGetName.invokeExact(out, len, device)));
            return out.getString(0);
        }
    }

    long totalMemory(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check("cuDeviceTotalMem_v2", Native.status(() -> (int) cuDeviceTotalMem.invokeExact(out, device)));
            return out.get(JAVA_LONG, 0);
        }
    }

    int attribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDeviceGetAttribute(" + attribute + ")", Native.status(() -> (int) cuDeviceGetAttribute.invokeExact(out, attribute, device)));
            return out.get(JAVA_INT, 0);
        }
    }

    /** The device's primary context, retained: pair with {@link #primaryContextRelease}. */
    MemorySegment primaryContextRetain(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuDevicePrimaryCtxRetain", Native.status(() -> (int) cuDevicePrimaryCtxRetain.invokeExact(out, device)));
            return out.get(ADDRESS, 0);
        }
    }

    void primaryContextRelease(int device) {
        check("cuDevicePrimaryCtxRelease_v2", Native.status(() -> (int) cuDevicePrimaryCtxRelease.invokeExact(device)));
    }

    void setCurrent(MemorySegment context) {
        check("cuCtxSetCurrent", Native.status(() -> (int) cuCtxSetCurrent.invokeExact(context)));
    }

    long alloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check("cuMemAlloc_v2(" + bytes + " bytes)", Native.status(() -> (int) cuMemAlloc.invokeExact(out, bytes)));
            return out.get(JAVA_LONG, 0);
        }
    }

    void free(long pointer) {
        check("cuMemFree_v2", Native.status(() -> (int) cuMemFree.invokeExact(pointer)));
    }

    /** Copies {@code bytes} of native host memory at {@code src} to device memory; returns once {@code src} may be reused. */
    void copyToDevice(long dst, MemorySegment src, long bytes) {
        check("cuMemcpyHtoD_v2", Native.status(() -> (int) cuMemcpyHtoD.invokeExact(dst, src, bytes)));
    }

    /** Copies {@code bytes} of device memory into native host memory at {@code dst}; returns when done. */
    void copyToHost(MemorySegment dst, long src, long bytes) {
        check("cuMemcpyDtoH_v2", Native.status(() -> (int) cuMemcpyDtoH.invokeExact(dst, src, bytes)));
    }

    void memset(long dst, byte value, long bytes) {
        check("cuMemsetD8_v2", Native.status(() -> (int) cuMemsetD8.invokeExact(dst, value, bytes)));
    }

    /** Loads a module from a NUL-terminated PTX image (JIT-compiled by the driver); a failure carries the JIT error log. */
    MemorySegment loadModule(String what, byte[] ptx) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocate(ptx.length + 1L);
            MemorySegment.copy(ptx, 0, image, JAVA_BYTE, 0, ptx.length);
            image.set(JAVA_BYTE, ptx.length, (byte) 0);
            MemorySegment log = arena.allocate(JIT_LOG_BYTES);
            MemorySegment options = arena.allocate(JAVA_INT, 2);
            options.setAtIndex(JAVA_INT, 0, JIT_ERROR_LOG_BUFFER);
            options.setAtIndex(JAVA_INT, 1, JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
            MemorySegment values = arena.allocate(ADDRESS, 2);
            values.setAtIndex(ADDRESS, 0, log);
            values.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(JIT_LOG_BYTES)); // the size is passed as the pointer value
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = Native.status(() -> (int) cuModuleLoadDataEx.invokeExact(out, image, 2, options, values));
            if (rc != 0) throw new CudaException("cuModuleLoadDataEx(" + what + ")", errorName(rc), rc, log.getString(0));
            return out.get(ADDRESS, 0);
        }
    }

    void unloadModule(MemorySegment module) {
        check("cuModuleUnload", Native.status(() -> (int) cuModuleUnload.invokeExact(module)));
    }

    MemorySegment function(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            MemorySegment cName = arena.allocateFrom(name);
            check("cuModuleGetFunction(" + name + ")", Native.status(() -> (int) cuModuleGetFunction.invokeExact(out, module, cName)));
            return out.get(ADDRESS, 0);
        }
    }

    /**
     * Enqueues {@code function} on {@code stream}: {@code grid} blocks of {@code block} threads, no dynamic
     * shared memory; {@code params} is the {@code void*[]} of pointers to each argument's value (the driver
     * copies the values before returning).
     */
    void launch(Supplier<String> what, MemorySegment function, int[] grid, int[] block, MemorySegment stream, MemorySegment params) {
        int rc = Native.status(() -> (int) cuLaunchKernel.invokeExact(function, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                0, stream, params, MemorySegment.NULL));
        if (rc != 0) check(what.get(), rc);
    }

    MemorySegment createStream(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuStreamCreate", Native.status(() -> (int) cuStreamCreate.invokeExact(out, flags)));
            return out.get(ADDRESS, 0);
        }
    }

    void synchronize(MemorySegment stream) {
        check("cuStreamSynchronize", Native.status(() -> (int) cuStreamSynchronize.invokeExact(stream)));
    }

    void destroyStream(MemorySegment stream) {
        check("cuStreamDestroy_v2", Native.status(() -> (int) cuStreamDestroy.invokeExact(stream)));
    }
}
