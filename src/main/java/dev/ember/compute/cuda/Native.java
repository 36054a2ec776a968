package dev.ember.compute.cuda;

import dev.ember.compute.BackendUnavailableException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/** Binding C functions of a loaded library as method handles, and calling them. */
final class Native {
    private static final Linker LINKER = Linker.nativeLinker();

    /** A native call returning a C {@code int} status; {@link MethodHandle#invokeExact} throws {@code Throwable}. */
    @FunctionalInterface
    interface StatusCall {
        int run() throws Throwable;
    }

    private Native() {}

    /** A downcall handle for {@code symbol}; a library without it cannot be used. */
    static MethodHandle bind(SymbolLookup library, String libraryName, String symbol, FunctionDescriptor descriptor) {
        MemorySegment address = library.find(symbol).orElseThrow(() ->
                new BackendUnavailableException(libraryName + " has no function " + symbol + " (a CUDA 12 or newer driver and NVRTC are needed)"));
        return LINKER.downcallHandle(address, descriptor);
    }

    /** Runs a call, passing runtime exceptions and errors through unchanged. */
    static int status(StatusCall call) {
        try {
            return call.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    /** The NUL-terminated string at {@code pointer}, or {@code null} for a null pointer. */
    static String string(MemorySegment pointer) {
        if (pointer.equals(MemorySegment.NULL)) return null;
        return pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
