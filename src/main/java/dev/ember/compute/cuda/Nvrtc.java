package dev.ember.compute.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * NVRTC through FFM: compiles CUDA C to PTX for a virtual architecture ({@code compute_90}); the driver
 * JIT-compiles the PTX for the device when the module is loaded. A failed compile throws a
 * {@link CudaException} carrying the compiler log.
 */
final class Nvrtc {
    private final String library;
    private final MethodHandle nvrtcGetErrorString;
    private final MethodHandle nvrtcVersion;
    private final MethodHandle nvrtcCreateProgram;
    private final MethodHandle nvrtcDestroyProgram;
    private final MethodHandle nvrtcCompileProgram;
    private final MethodHandle nvrtcGetProgramLogSize;
    private final MethodHandle nvrtcGetProgramLog;
    private final MethodHandle nvrtcGetPTXSize;
    private final MethodHandle nvrtcGetPTX;

    Nvrtc(NvrtcLocator.Found found) {
        this.library = found.library();
        var lib = found.symbols();
        nvrtcGetErrorString = Native.bind(lib, library, "nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        nvrtcVersion = Native.bind(lib, library, "nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcCreateProgram = Native.bind(lib, library, "nvrtcCreateProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        nvrtcDestroyProgram = Native.bind(lib, library, "nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nvrtcCompileProgram = Native.bind(lib, library, "nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        nvrtcGetProgramLogSize = Native.bind(lib, library, "nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetProgramLog = Native.bind(lib, library, "nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetPTXSize = Native.bind(lib, library, "nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetPTX = Native.bind(lib, library, "nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** The name or path NVRTC was loaded from. */
    String library() {
        return library;
    }

    /** The name of an {@code nvrtcResult}, e.g. {@code NVRTC_ERROR_COMPILATION}. */
    String errorName(int result) {
        MemorySegment s;
        try {
            s = (MemorySegment) nvrtcGetErrorString.invokeExact(result);
        } catch (Throwable t) {
            throw new IllegalStateException("nvrtcGetErrorString failed", t);
        }
        String name = Native.string(s);
        return name == null ? "nvrtcResult " + result : name;
    }

    private void check(String call, int result) {
        if (result != 0) throw new CudaException(call, errorName(result), result, null);
    }

    /** e.g. {@code 13.0}. */
    String version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment major = arena.allocate(JAVA_INT);
            MemorySegment minor = arena.allocate(JAVA_INT);
            check("nvrtcVersion", Native.status(() -> (int) nvrtcVersion.invokeExact(major, minor)));
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        }
    }

    /**
     * Compiles {@code source} (named {@code programName} in messages) with {@code options} and returns the
     * PTX text, without the trailing NUL.
     *
     * @throws CudaException {@code NVRTC_ERROR_COMPILATION} with the compiler log when the source does not compile
     */
    byte[] compile(String source, String programName, String... options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment programOut = arena.allocate(ADDRESS);
            MemorySegment src = arena.allocateFrom(source);
            MemorySegment name = arena.allocateFrom(programName);
            check("nvrtcCreateProgram(" + programName + ")", Native.status(() -> (int) nvrtcCreateProgram.invokeExact(
                    programOut, src, name, 0, MemorySegment.NULL, MemorySegment.NULL)));
            MemorySegment program = programOut.get(ADDRESS, 0);
            try {
                MemorySegment optionArray = arena.allocate(ADDRESS, Math.max(1, options.length));
                for (int i = 0; i < options.length; i++) optionArray.setAtIndex(ADDRESS, i, arena.allocateFrom(options[i]));
                int count = options.length;
                int rc = Native.status(() -> (int) nvrtcCompileProgram.invokeExact(program, count, optionArray));
                if (rc != 0) {
                    throw new CudaException("nvrtcCompileProgram(" + programName + ", " + String.join(" ", options) + ")",
                            errorName(rc), rc, log(arena, program));
                }
                MemorySegment size = arena.allocate(JAVA_LONG);
                check("nvrtcGetPTXSize", Native.status(() -> (int) nvrtcGetPTXSize.invokeExact(program, size)));
                long n = size.get(JAVA_LONG, 0);
                MemorySegment ptx = arena.allocate(Math.max(1, n));
                check("nvrtcGetPTX", Native.status(() -> (int) nvrtcGetPTX.invokeExact(program, ptx)));
                long length = n > 0 && ptx.get(JAVA_BYTE, n - 1) == 0 ? n - 1 : n; // the size counts the trailing NUL
                return ptx.asSlice(0, length).toArray(JAVA_BYTE);
            } finally {
                check("nvrtcDestroyProgram", Native.status(() -> (int) nvrtcDestroyProgram.invokeExact(programOut)));
            }
        }
    }

    private String log(Arena arena, MemorySegment program) {
        MemorySegment size = arena.allocate(JAVA_LONG);
        if (Native.status(() -> (int) nvrtcGetProgramLogSize.invokeExact(program, size)) != 0) return "(no compiler log: nvrtcGetProgramLogSize failed)";
        long n = size.get(JAVA_LONG, 0);
        if (n <= 1) return "(empty compiler log)";
        MemorySegment log = arena.allocate(n);
        if (Native.status(() -> (int) nvrtcGetProgramLog.invokeExact(program, log)) != 0) return "(no compiler log: nvrtcGetProgramLog failed)";
        return log.getString(0);
    }
}
