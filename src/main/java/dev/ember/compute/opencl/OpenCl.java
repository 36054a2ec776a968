package dev.ember.compute.opencl;

import dev.ember.compute.BackendUnavailableException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenCL 1.2 functions Ember uses, bound with the FFM linker to the ICD loader ({@code libOpenCL.so.1}),
 * so any vendor's driver works. Every wrapper checks the returned {@code cl_int} and throws an
 * {@link OpenClException} naming the call and the error; handles ({@code cl_context}, {@code cl_mem}, ...) are
 * plain {@link MemorySegment} addresses. Assumes a 64-bit process ({@code size_t} = 8 bytes).
 */
final class OpenCl {
    static final int CL_PLATFORM_NAME = 0x0902;

    static final long CL_DEVICE_TYPE_CPU = 1 << 1;
    static final long CL_DEVICE_TYPE_GPU = 1 << 2;
    static final long CL_DEVICE_TYPE_ACCELERATOR = 1 << 3;
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;

    static final int CL_DEVICE_TYPE = 0x1000;
    static final int CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    static final int CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final int CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    static final int CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    static final int CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    static final int CL_DEVICE_NAME = 0x102B;
    static final int CL_DEVICE_VENDOR = 0x102C;
    static final int CL_DRIVER_VERSION = 0x102D;
    static final int CL_DEVICE_VERSION = 0x102F;
    static final int CL_DEVICE_OPENCL_C_VERSION = 0x103D;

    static final long CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    static final long CL_MEM_READ_WRITE = 1;

    static final int CL_PROGRAM_BINARY_SIZES = 0x1165;
    static final int CL_PROGRAM_BINARIES = 0x1166;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;

    static final int CL_PROFILING_COMMAND_START = 0x1282;
    static final int CL_PROFILING_COMMAND_END = 0x1283;

    static final int CL_SUCCESS = 0;
    static final int CL_DEVICE_NOT_FOUND = -1;
    static final int CL_PLATFORM_NOT_FOUND_KHR = -1001;

    private static final AddressLayout P = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;

    private final MethodHandle clGetPlatformIDs;
    private final MethodHandle clGetPlatformInfo;
    private final MethodHandle clGetDeviceIDs;
    private final MethodHandle clGetDeviceInfo;
    private final MethodHandle clCreateContext;
    private final MethodHandle clCreateCommandQueue;
    private final MethodHandle clCreateBuffer;
    private final MethodHandle clEnqueueWriteBuffer;
    private final MethodHandle clEnqueueReadBuffer;
    private final MethodHandle clEnqueueFillBuffer;
    private final MethodHandle clCreateProgramWithSource;
    private final MethodHandle clCreateProgramWithBinary;
    private final MethodHandle clBuildProgram;
    private final MethodHandle clGetProgramBuildInfo;
    private final MethodHandle clGetProgramInfo;
    private final MethodHandle clCreateKernel;
    private final MethodHandle clSetKernelArg;
    private final MethodHandle clEnqueueNDRangeKernel;
    private final MethodHandle clFinish;
    private final MethodHandle clWaitForEvents;
    private final MethodHandle clGetEventProfilingInfo;
    private final MethodHandle clReleaseMemObject;
    private final MethodHandle clReleaseKernel;
    private final MethodHandle clReleaseProgram;
    private final MethodHandle clReleaseCommandQueue;
    private final MethodHandle clReleaseContext;
    private final MethodHandle clReleaseEvent;

    private static volatile Object system;

    /** The binding to this machine's ICD loader, loaded once; throws the same reason on every call when it cannot be loaded. */
    static OpenCl system() {
        Object s = system;
        if (s == null) {
            synchronized (OpenCl.class) {
                s = system;
                if (s == null) {
                    try {
                        s = load(defaultLibraries());
                    } catch (BackendUnavailableException e) {
                        s = e.getMessage();
                    }
                    system = s;
                }
            }
        }
        if (s instanceof String reason) throw new BackendUnavailableException(reason);
        return (OpenCl) s;
    }

    private static List<String> defaultLibraries() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        if (os.contains("win")) return List.of("OpenCL.dll");
        if (os.contains("mac")) return List.of("/System/Library/Frameworks/OpenCL.framework/OpenCL");
        return List.of("libOpenCL.so.1", "libOpenCL.so");
    }

    /** Binds the first of {@code libraries} the dynamic linker finds. */
    static OpenCl load(List<String> libraries) {
        if (ValueLayout.ADDRESS.byteSize() != 8) {
            throw new BackendUnavailableException("the OpenCL binding needs a 64-bit JVM");
        }
        for (String lib : libraries) {
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            } catch (IllegalArgumentException notFound) {
                continue;
            }
            return new OpenCl(lookup, lib);
        }
        throw new BackendUnavailableException("no OpenCL ICD loader: " + String.join(", ", libraries)
                + " not found (install one plus a driver, e.g. Debian/Ubuntu packages ocl-icd-libopencl1 and pocl-opencl-icd, or a GPU vendor's OpenCL runtime)");
    }

    private OpenCl(SymbolLookup lookup, String library) {
        Linker linker = Linker.nativeLinker();
        record Binder(Linker linker, SymbolLookup lookup, String library) {
            MethodHandle bind(String name, MemoryLayout result, MemoryLayout... args) {
                MemorySegment symbol = lookup.find(name).orElseThrow(() -> new BackendUnavailableException(
                        library + " has no " + name + " (not an OpenCL 1.2 ICD loader?)"));
                return linker.downcallHandle(symbol, FunctionDescriptor.of(result, args));
            }
        }
        Binder b = new Binder(linker, lookup, library);
        clGetPlatformIDs = b.bind("clGetPlatformIDs", I, I, P, P);
        clGetPlatformInfo = b.bind("clGetPlatformInfo", I, P, I, L, P, P);
        clGetDeviceIDs = b.bind("clGetDeviceIDs", I, P, L, I, P, P);
        clGetDeviceInfo = b.bind("clGetDeviceInfo", I, P, I, L, P, P);
        clCreateContext = b.bind("clCreateContext", P, P, I, P, P, P, P);
        clCreateCommandQueue = b.bind("clCreateCommandQueue", P, P, P, L, P);
        clCreateBuffer = b.bind("clCreateBuffer", P, P, L, L, P, P);
        clEnqueueWriteBuffer = b.bind("clEnqueueWriteBuffer", I, P, P, I, L, L, P, I, P, P);
        clEnqueueReadBuffer = b.bind("clEnqueueReadBuffer", I, P, P, I, L, L, P, I, P, P);
        clEnqueueFillBuffer = b.bind("clEnqueueFillBuffer", I, P, P, P, L, L, L, I, P, P);
        clCreateProgramWithSource = b.bind("clCreateProgramWithSource", P, P, I, P, P, P);
        clCreateProgramWithBinary = b.bind("clCreateProgramWithBinary", P, P, I, P, P, P, P, P);
        clBuildProgram = b.bind("clBuildProgram", I, P, I, P, P, P, P);
        clGetProgramBuildInfo = b.bind("clGetProgramBuildInfo", I, P, P, I, L, P, P);
        clGetProgramInfo = b.bind("clGetProgramInfo", I, P, I, L, P, P);
        clCreateKernel = b.bind("clCreateKernel", P, P, P, P);
        clSetKernelArg = b.bind("clSetKernelArg", I, P, I, L, P);
        clEnqueueNDRangeKernel = b.bind("clEnqueueNDRangeKernel", I, P, P, I, P, P, P, I, P, P);
        clFinish = b.bind("clFinish", I, P);
        clWaitForEvents = b.bind("clWaitForEvents", I, I, P);
        clGetEventProfilingInfo = b.bind("clGetEventProfilingInfo", I, P, I, L, P, P);
        clReleaseMemObject = b.bind("clReleaseMemObject", I, P);
        clReleaseKernel = b.bind("clReleaseKernel", I, P);
        clReleaseProgram = b.bind("clReleaseProgram", I, P);
        clReleaseCommandQueue = b.bind("clReleaseCommandQueue", I, P);
        clReleaseContext = b.bind("clReleaseContext", I, P);
        clReleaseEvent = b.bind("clReleaseEvent", I, P);
    }

    static void check(String call, int rc) {
        if (rc != CL_SUCCESS) throw new OpenClException(call, rc, null);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** Every platform the ICD loader knows; empty when none is installed. */
    List<MemorySegment> platforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(I);
            int rc = (int) clGetPlatformIDs.invokeExact(0, MemorySegment.NULL, count);
            if (rc == CL_PLATFORM_NOT_FOUND_KHR) return List.of();
            check("clGetPlatformIDs", rc);
            int n = count.get(I, 0);
            if (n == 0) return List.of();
            MemorySegment ids = a.allocate(P, n);
            check("clGetPlatformIDs", (int) clGetPlatformIDs.invokeExact(n, ids, MemorySegment.NULL));
            return addresses(ids, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    String platformString(MemorySegment platform, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(L);
            check("clGetPlatformInfo", (int) clGetPlatformInfo.invokeExact(platform, param, 0L, MemorySegment.NULL, size));
            MemorySegment value = a.allocate(Math.max(1, size.get(L, 0)));
            check("clGetPlatformInfo", (int) clGetPlatformInfo.invokeExact(platform, param, value.byteSize(), value, MemorySegment.NULL));
            return value.getString(0).strip();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Every device of the platform; empty when it has none. */
    List<MemorySegment> devices(MemorySegment platform) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(I);
            int rc = (int) clGetDeviceIDs.invokeExact(platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
            if (rc == CL_DEVICE_NOT_FOUND) return List.of();
            check("clGetDeviceIDs", rc);
            int n = count.get(I, 0);
            if (n == 0) return List.of();
            MemorySegment ids = a.allocate(P, n);
            check("clGetDeviceIDs", (int) clGetDeviceIDs.invokeExact(platform, CL_DEVICE_TYPE_ALL, n, ids, MemorySegment.NULL));
            return addresses(ids, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static List<MemorySegment> addresses(MemorySegment array, int n) {
        List<MemorySegment> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(array.getAtIndex(P, i));
        return List.copyOf(out);
    }

    String deviceString(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(L);
            check("clGetDeviceInfo", (int) clGetDeviceInfo.invokeExact(device, param, 0L, MemorySegment.NULL, size));
            MemorySegment value = a.allocate(Math.max(1, size.get(L, 0)));
            check("clGetDeviceInfo", (int) clGetDeviceInfo.invokeExact(device, param, value.byteSize(), value, MemorySegment.NULL));
            return value.getString(0).strip();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A {@code cl_ulong}, {@code size_t} or {@code cl_bitfield} device property. */
    long deviceLong(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(L);
            check("clGetDeviceInfo", (int) clGetDeviceInfo.invokeExact(device, param, 8L, value, MemorySegment.NULL));
            return value.get(L, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A {@code cl_uint} device property. */
    int deviceInt(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(I);
            check("clGetDeviceInfo", (int) clGetDeviceInfo.invokeExact(device, param, 4L, value, MemorySegment.NULL));
            return value.get(I, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createContext(MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devices = a.allocate(P);
            devices.set(P, 0, device);
            MemorySegment err = a.allocate(I);
            MemorySegment ctx = (MemorySegment) clCreateContext.invokeExact(MemorySegment.NULL, 1, devices, MemorySegment.NULL, MemorySegment.NULL, err);
            check("clCreateContext", err.get(I, 0));
            return ctx;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createCommandQueue(MemorySegment context, MemorySegment device, long properties) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(I);
            MemorySegment queue = (MemorySegment) clCreateCommandQueue.invokeExact(context, device, properties, err);
            check("clCreateCommandQueue", err.get(I, 0));
            return queue;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createBuffer(MemorySegment context, long flags, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(I);
            MemorySegment mem = (MemorySegment) clCreateBuffer.invokeExact(context, flags, bytes, MemorySegment.NULL, err);
            int rc = err.get(I, 0);
            if (rc != CL_SUCCESS) throw new OpenClException("clCreateBuffer", rc, bytes + " bytes");
            return mem;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code bytes} from native memory {@code src} into {@code mem} at {@code offset}; returns once the copy is done when {@code blocking}. */
    void enqueueWriteBuffer(MemorySegment queue, MemorySegment mem, boolean blocking, long offset, long bytes, MemorySegment src) {
        try {
            check("clEnqueueWriteBuffer", (int) clEnqueueWriteBuffer.invokeExact(queue, mem, blocking ? 1 : 0, offset, bytes, src, 0, MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code bytes} of {@code mem} from {@code offset} into native memory {@code dst}. */
    void enqueueReadBuffer(MemorySegment queue, MemorySegment mem, boolean blocking, long offset, long bytes, MemorySegment dst) {
        try {
            check("clEnqueueReadBuffer", (int) clEnqueueReadBuffer.invokeExact(queue, mem, blocking ? 1 : 0, offset, bytes, dst, 0, MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Repeats {@code pattern} (1, 2, 4, ... 128 bytes) over {@code bytes} of {@code mem} from {@code offset}. */
    void enqueueFillBuffer(MemorySegment queue, MemorySegment mem, MemorySegment pattern, long offset, long bytes) {
        try {
            check("clEnqueueFillBuffer", (int) clEnqueueFillBuffer.invokeExact(queue, mem, pattern, pattern.byteSize(), offset, bytes, 0, MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createProgramWithSource(MemorySegment context, String source) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocateFrom(source);
            MemorySegment strings = a.allocate(P);
            strings.set(P, 0, text);
            MemorySegment err = a.allocate(I);
            MemorySegment program = (MemorySegment) clCreateProgramWithSource.invokeExact(context, 1, strings, MemorySegment.NULL, err);
            check("clCreateProgramWithSource", err.get(I, 0));
            return program;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A program from a binary this device produced earlier ({@link #programBinary}); still needs {@link #buildProgram}. */
    MemorySegment createProgramWithBinary(MemorySegment context, MemorySegment device, byte[] binary) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devices = a.allocate(P);
            devices.set(P, 0, device);
            MemorySegment data = a.allocate(Math.max(1, binary.length));
            MemorySegment.copy(binary, 0, data, ValueLayout.JAVA_BYTE, 0, binary.length);
            MemorySegment lengths = a.allocate(L);
            lengths.set(L, 0, binary.length);
            MemorySegment binaries = a.allocate(P);
            binaries.set(P, 0, data);
            MemorySegment status = a.allocate(I);
            MemorySegment err = a.allocate(I);
            MemorySegment program = (MemorySegment) clCreateProgramWithBinary.invokeExact(context, 1, devices, lengths, binaries, status, err);
            int rc = err.get(I, 0);
            if (rc != CL_SUCCESS) {
                if (program.address() != 0) releaseProgram(program);
                throw new OpenClException("clCreateProgramWithBinary", rc, "binary status " + ClErrors.name(status.get(I, 0)));
            }
            return program;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Builds the program for {@code device}; returns the {@code cl_int} result so a failure can be reported with its {@link #buildLog}. */
    int buildProgram(MemorySegment program, MemorySegment device, String options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devices = a.allocate(P);
            devices.set(P, 0, device);
            return (int) clBuildProgram.invokeExact(program, 1, devices, a.allocateFrom(options), MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(L);
            check("clGetProgramBuildInfo", (int) clGetProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size));
            MemorySegment log = a.allocate(Math.max(1, size.get(L, 0)));
            check("clGetProgramBuildInfo", (int) clGetProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, log.byteSize(), log, MemorySegment.NULL));
            return log.getString(0).strip();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The device binary of a built single-device program (for the program cache). */
    byte[] programBinary(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sizes = a.allocate(L);
            check("clGetProgramInfo", (int) clGetProgramInfo.invokeExact(program, CL_PROGRAM_BINARY_SIZES, 8L, sizes, MemorySegment.NULL));
            long size = sizes.get(L, 0);
            if (size <= 0 || size > Integer.MAX_VALUE - 64) throw new IllegalStateException("clGetProgramInfo reported a program binary of " + size + " bytes");
            MemorySegment data = a.allocate(size);
            MemorySegment pointers = a.allocate(P);
            pointers.set(P, 0, data);
            check("clGetProgramInfo", (int) clGetProgramInfo.invokeExact(program, CL_PROGRAM_BINARIES, 8L, pointers, MemorySegment.NULL));
            return data.toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createKernel(MemorySegment program, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(I);
            MemorySegment kernel = (MemorySegment) clCreateKernel.invokeExact(program, a.allocateFrom(name), err);
            int rc = err.get(I, 0);
            if (rc != CL_SUCCESS) throw new OpenClException("clCreateKernel", rc, "kernel '" + name + "'");
            return kernel;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets argument {@code index} to the first {@code size} bytes of {@code value} (the driver copies them). */
    void setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        int rc;
        try {
            rc = (int) clSetKernelArg.invokeExact(kernel, index, size, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc != CL_SUCCESS) throw new OpenClException("clSetKernelArg", rc, "argument " + index);
    }

    /**
     * Enqueues the kernel over {@code dims} dimensions of {@code global} / {@code local} sizes ({@code size_t}
     * arrays); {@code event} receives a {@code cl_event} unless it is {@link MemorySegment#NULL}.
     */
    void enqueueNDRangeKernel(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local, MemorySegment event) {
        int rc;
        try {
            rc = (int) clEnqueueNDRangeKernel.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0, MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check("clEnqueueNDRangeKernel", rc);
    }

    void finish(MemorySegment queue) {
        try {
            check("clFinish", (int) clFinish.invokeExact(queue));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for the {@code count} events in the {@code cl_event} array {@code events}. */
    void waitForEvents(int count, MemorySegment events) {
        try {
            check("clWaitForEvents", (int) clWaitForEvents.invokeExact(count, events));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A profiling timestamp of a completed event, in device nanoseconds. */
    long eventProfilingInfo(MemorySegment event, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(L);
            check("clGetEventProfilingInfo", (int) clGetEventProfilingInfo.invokeExact(event, param, 8L, value, MemorySegment.NULL));
            return value.get(L, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void releaseMemObject(MemorySegment mem) {
        release("clReleaseMemObject", clReleaseMemObject, mem);
    }

    void releaseKernel(MemorySegment kernel) {
        release("clReleaseKernel", clReleaseKernel, kernel);
    }

    void releaseProgram(MemorySegment program) {
        release("clReleaseProgram", clReleaseProgram, program);
    }

    void releaseCommandQueue(MemorySegment queue) {
        release("clReleaseCommandQueue", clReleaseCommandQueue, queue);
    }

    void releaseContext(MemorySegment context) {
        release("clReleaseContext", clReleaseContext, context);
    }

    void releaseEvent(MemorySegment event) {
        release("clReleaseEvent", clReleaseEvent, event);
    }

    private static void release(String call, MethodHandle h, MemorySegment object) {
        try {
            check(call, (int) h.invokeExact(object));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
