package dev.ember.compute.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/** The {@code cuLaunchKernel} parameter array: one pointer per argument, to an 8-byte device pointer or a 4-byte scalar. */
class CudaKernelParamsTest {
    private record FakeBuffer(long address) implements DeviceBuffer {
        @Override
        public long byteSize() {
            return 64;
        }

        @Override
        public void close() {}
    }

    private static final ToLongFunction<DeviceBuffer> ADDRESSES = b -> ((FakeBuffer) b).address();

    @Test
    void buffersAndScalarsInParameterOrder() {
        KernelRef saxpy = KernelRef.of(Saxpy.class, "saxpy");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = KernelParams.write(saxpy, new Object[] {
                    new FakeBuffer(0x7f00_0000_1000L), new FakeBuffer(0x7f00_0000_2000L), 2.5f, 1000}, ADDRESSES, arena);
            assertEquals(4 * ADDRESS.byteSize(), params.byteSize());
            assertEquals(0x7f00_0000_1000L, value(params, 0, 8).get(JAVA_LONG, 0));
            assertEquals(0x7f00_0000_2000L, value(params, 1, 8).get(JAVA_LONG, 0));
            assertEquals(2.5f, value(params, 2, 4).get(JAVA_FLOAT, 0));
            assertEquals(1000, value(params, 3, 4).get(JAVA_INT, 0));
        }
    }

    private static MemorySegment value(MemorySegment params, int i, long bytes) {
        MemorySegment p = params.getAtIndex(ADDRESS, i);
        return p.reinterpret(bytes);
    }

    @Test
    void wrongArgumentsAreNamed() {
        KernelRef saxpy = KernelRef.of(Saxpy.class, "saxpy");
        try (Arena arena = Arena.ofConfined()) {
            FakeBuffer b = new FakeBuffer(16);
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> KernelParams.write(saxpy, new Object[] {b, b, 1f}, ADDRESSES, arena));
            assertEquals("kernel Saxpy.saxpy takes 4 arguments, got 3", count.getMessage());
            IllegalArgumentException scalar = assertThrows(IllegalArgumentException.class,
                    () -> KernelParams.write(saxpy, new Object[] {b, b, 1.0, 4}, ADDRESSES, arena));
            assertEquals("argument 2 (a) of Saxpy.saxpy must be a Float, got Double 1.0", scalar.getMessage());
            IllegalArgumentException integer = assertThrows(IllegalArgumentException.class,
                    () -> KernelParams.write(saxpy, new Object[] {b, b, 1f, 4L}, ADDRESSES, arena));
            assertEquals("argument 3 (n) of Saxpy.saxpy must be an Integer, got Long 4", integer.getMessage());
            IllegalArgumentException buffer = assertThrows(IllegalArgumentException.class,
                    () -> KernelParams.write(saxpy, new Object[] {b, 7, 1f, 4}, ADDRESSES, arena));
            assertEquals("argument 1 (y) of Saxpy.saxpy must be a DeviceBuffer, got Integer 7", buffer.getMessage());
        }
    }
}
