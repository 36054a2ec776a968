package dev.ember.compute.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.U16Buffer;
import dev.ember.compute.dsl.U8Buffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.ToLongFunction;

/**
 * The {@code kernelParams} of {@code cuLaunchKernel}: an array holding, for each kernel parameter after
 * the {@code KernelContext}, a pointer to that argument's value: a {@code CUdeviceptr} (8 bytes) for a
 * buffer parameter, a 4-byte {@code int} or {@code float} for a scalar. Arguments are checked against
 * the kernel method's parameter types, as the {@code Backend} SPI describes them.
 */
final class KernelParams {
    private KernelParams() {}

    /**
     * Writes the parameter array into {@code arena}.
     *
     * @param pointer the {@code CUdeviceptr} of a buffer argument (it rejects buffers of other backends)
     */
    static MemorySegment write(KernelRef kernel, Object[] args, ToLongFunction<DeviceBuffer> pointer, Arena arena) {
        Class<?>[] types = kernel.method().getParameterTypes();
        int n = types.length - 1;
        if (args.length != n) throw new IllegalArgumentException("kernel " + kernel + " takes " + n + " arguments, got " + args.length);
        MemorySegment params = arena.allocate(ADDRESS, Math.max(1, n));
        for (int i = 0; i < n; i++) {
            Class<?> t = types[i + 1];
            Object a = args[i];
            MemorySegment value;
            if (t == int.class) {
                if (!(a instanceof Integer v)) throw new IllegalArgumentException(where(kernel, i) + " must be an Integer, got " + describe(a));
                value = arena.allocate(JAVA_INT);
                value.set(JAVA_INT, 0, v);
            } else if (t == float.class) {
                if (!(a instanceof Float v)) throw new IllegalArgumentException(where(kernel, i) + " must be a Float, got " + describe(a));
                value = arena.allocate(JAVA_FLOAT);
                value.set(JAVA_FLOAT, 0, v);
            } else if (t == F32Buffer.class || t == I32Buffer.class || t == U16Buffer.class || t == U8Buffer.class) {
                if (!(a instanceof DeviceBuffer b)) throw new IllegalArgumentException(where(kernel, i) + " must be a DeviceBuffer, got " + describe(a));
                value = arena.allocate(JAVA_LONG);
                value.set(JAVA_LONG, 0, pointer.applyAsLong(b));
            } else {
                throw new IllegalArgumentException(where(kernel, i) + " has unsupported type " + t.getSimpleName());
            }
            params.setAtIndex(ADDRESS, i, value);
        }
        return params;
    }

    private static String where(KernelRef kernel, int i) {
        return "argument " + i + " (" + kernel.method().getParameters()[i + 1].getName() + ") of " + kernel;
    }

    private static String describe(Object a) {
        return a == null ? "null" : a.getClass().getSimpleName() + " " + a;
    }
}
