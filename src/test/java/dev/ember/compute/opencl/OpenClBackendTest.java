package dev.ember.compute.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.JavaBackend;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenClBackendTest {
    private static final KernelRef SCALE_SHIFT = KernelRef.of(ClTestKernels.class, "scaleShift");
    private static final KernelRef IDS_2D = KernelRef.of(ClTestKernels.class, "ids2d");

    @Test
    void roundTripsOddSizesAtOffsets() {
        try (OpenClBackend cl = OpenClTestDevice.open(); Arena arena = Arena.ofConfined()) {
            assertTrue(cl.name().startsWith("opencl (") && cl.name().contains(cl.device().name()), cl.name());
            for (int size : new int[] {1, 3, 7, 1001, 65_537}) {
                DeviceBuffer buf = cl.allocate(size + 5);
                assertEquals(size + 5, buf.byteSize());
                byte[] zeros = download(cl, buf, 0, size + 5);
                assertArrayEquals(new byte[size + 5], zeros, "a new buffer is zero-filled");

                byte[] data = new byte[size];
                for (int i = 0; i < size; i++) data[i] = (byte) (i * 31 + size);
                MemorySegment nativeSrc = arena.allocate(size);
                nativeSrc.copyFrom(MemorySegment.ofArray(data));
                cl.upload(buf, 3, nativeSrc);
                byte[] back = download(cl, buf, 3, size);
                assertArrayEquals(data, back, "native round trip of " + size + " bytes at offset 3");

                cl.upload(buf, 5, MemorySegment.ofArray(data));
                byte[] whole = download(cl, buf, 0, size + 5);
                assertEquals(0, whole[0]);
                assertEquals(0, whole[1]);
                assertEquals(data[0], whole[3]);
                for (int i = 0; i < size; i++) assertEquals(data[i], whole[5 + i], "heap round trip of " + size + " bytes at offset 5, byte " + i);
                buf.close();
            }
        }
    }

    private static byte[] download(Backend b, DeviceBuffer buf, long offset, int n) {
        byte[] out = new byte[n];
        b.download(buf, offset, MemorySegment.ofArray(out));
        return out;
    }

    @Test
    void outOfRangeCopiesAreRejected() {
        try (OpenClBackend cl = OpenClTestDevice.open()) {
            DeviceBuffer buf = cl.allocate(10);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cl.upload(buf, 8, MemorySegment.ofArray(new byte[3])));
            assertTrue(e.getMessage().contains("3 bytes at offset 8") && e.getMessage().contains("10 bytes"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> cl.download(buf, 11, MemorySegment.ofArray(new byte[0])));
            buf.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> cl.upload(buf, 0, MemorySegment.ofArray(new byte[1])));
            assertTrue(closed.getMessage().contains("after close"), closed.getMessage());
        }
    }

    @Test
    void launchWithIntFloatAndBufferArgumentsMatchesTheJavaBackend() {
        int n = 1000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i - 500) * 0.25f;
        float[] expectedOut = new float[n];
        int[] expectedIds = new int[n];
        for (int i = 0; i < n; i++) {
            expectedOut[i] = x[i] * 3.5f + 7;
            expectedIds[i] = i * 3 + 7;
        }
        Launch launch = Launch.cover(n, 64);
        Object[] result;
        try (OpenClBackend cl = OpenClTestDevice.open()) {
            result = runScaleShift(cl, x, launch);
        }
        assertArrayEquals(expectedOut, (float[]) result[0]);
        assertArrayEquals(expectedIds, (int[]) result[1]);
        try (JavaBackend java = new JavaBackend()) {
            Object[] reference = runScaleShift(java, x, launch);
            assertArrayEquals((float[]) reference[0], (float[]) result[0]);
            assertArrayEquals((int[]) reference[1], (int[]) result[1]);
        }
    }

    /** Runs scaleShift over x with scale 3.5 and shift 7 on buffers one element longer than n; the extra element must stay untouched. */
    private static Object[] runScaleShift(Backend b, float[] x, Launch launch) {
        int n = x.length;
        DeviceBuffer xs = b.allocate(4L * n);
        DeviceBuffer out = b.allocate(4L * (n + 1));
        DeviceBuffer ids = b.allocate(4L * (n + 1));
        b.upload(xs, 0, MemorySegment.ofArray(x));
        b.upload(out, 4L * n, MemorySegment.ofArray(new float[] {-1f}));
        b.upload(ids, 4L * n, MemorySegment.ofArray(new int[] {-1}));
        b.launch(SCALE_SHIFT, launch, xs, out, ids, 3.5f, 7, n);
        float[] o = new float[n + 1];
        int[] i = new int[n + 1];
        b.download(out, 0, MemorySegment.ofArray(o));
        b.download(ids, 0, MemorySegment.ofArray(i));
        assertEquals(-1f, o[n], "out of range item wrote past n");
        assertEquals(-1, i[n], "out of range item wrote past n");
        return new Object[] {java.util.Arrays.copyOf(o, n), java.util.Arrays.copyOf(i, n)};
    }

    @Test
    void twoDimensionalLaunchIds() {
        Launch launch = new Launch(new int[] {3, 4, 1}, new int[] {4, 2, 1});
        int width = 12;
        int height = 8;
        int[] global = new int[width * height];
        int[] groupLocal = new int[width * height];
        try (OpenClBackend cl = OpenClTestDevice.open()) {
            DeviceBuffer g = cl.allocate(4L * global.length);
            DeviceBuffer gl = cl.allocate(4L * global.length);
            cl.launch(IDS_2D, launch, g, gl, width);
            cl.finish();
            cl.download(g, 0, MemorySegment.ofArray(global));
            cl.download(gl, 0, MemorySegment.ofArray(groupLocal));
        }
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int at = y * width + x;
                assertEquals(y * 1000 + x, global[at], "global id at " + x + "," + y);
                int expected = (((y / 2) * 16 + x / 4) * 16 + y % 2) * 16 + x % 4;
                assertEquals(expected, groupLocal[at], "group/local ids at " + x + "," + y);
            }
        }
        try (JavaBackend java = new JavaBackend()) {
            DeviceBuffer g = java.allocate(4L * global.length);
            DeviceBuffer gl = java.allocate(4L * global.length);
            java.launch(IDS_2D, launch, g, gl, width);
            int[] jg = new int[global.length];
            int[] jgl = new int[global.length];
            java.download(g, 0, MemorySegment.ofArray(jg));
            java.download(gl, 0, MemorySegment.ofArray(jgl));
            assertArrayEquals(jg, global);
            assertArrayEquals(jgl, groupLocal);
        }
    }

    @Test
    void allocationOverTheDeviceLimitFailsNamingLimitAndSize() {
        try (OpenClBackend cl = OpenClTestDevice.open()) {
            long max = cl.maxAllocationBytes();
            assertEquals(cl.device().maxAllocationBytes(), max);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cl.allocate(max + 1));
            assertTrue(e.getMessage().contains(String.valueOf(max + 1)) && e.getMessage().contains("at most " + max + " bytes")
                    && e.getMessage().contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), e.getMessage());
        }
    }

    @Test
    void badLaunchesNameTheCallAndTheError() {
        try (OpenClBackend cl = OpenClTestDevice.open()) {
            int tooLarge = (int) Math.min(1 << 24, cl.device().maxWorkGroupSize() * 2);
            DeviceBuffer a = cl.allocate(4L * tooLarge); // large enough that a launch wrongly accepted cannot write out of bounds
            OpenClException e = assertThrows(OpenClException.class,
                    () -> cl.launch(IDS_2D, Launch.of(1, tooLarge), a, a, 1));
            assertEquals("clEnqueueNDRangeKernel", e.call());
            assertTrue(e.getMessage().startsWith("clEnqueueNDRangeKernel failed: CL_INVALID_"), e.getMessage());
            assertTrue(e.getMessage().contains("ClTestKernels.ids2d"), e.getMessage());

            IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
                    () -> cl.launch(IDS_2D, Launch.of(1, 1), a, a, 1.0f));
            assertTrue(wrongType.getMessage().contains("argument 2 (width)") && wrongType.getMessage().contains("Integer"), wrongType.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cl.launch(IDS_2D, Launch.of(1, 1), a, a));
            try (JavaBackend java = new JavaBackend()) {
                DeviceBuffer foreign = java.allocate(64);
                IllegalArgumentException notOurs = assertThrows(IllegalArgumentException.class,
                        () -> cl.launch(IDS_2D, Launch.of(1, 1), a, foreign, 1));
                assertTrue(notOurs.getMessage().contains("not a buffer of this OpenCL backend"), notOurs.getMessage());
            }
        }
    }

    @Test
    void profilingRecordsDeviceTimePerKernel() {
        try (OpenClBackend cl = OpenClTestDevice.open(null, true, ClTestKernels::source)) {
            DeviceBuffer g = cl.allocate(4L * 64 * 64);
            DeviceBuffer gl = cl.allocate(4L * 64 * 64);
            for (int i = 0; i < 3; i++) cl.launch(IDS_2D, Launch.of(8, 64, 8), g, gl, 64);
            Map<String, Long> nanos = cl.kernelNanos();
            assertEquals(java.util.Set.of("ClTestKernels.ids2d"), nanos.keySet());
            assertTrue(nanos.get("ClTestKernels.ids2d") > 0, nanos.toString());
            int[] back = new int[64 * 64];
            cl.download(g, 0, MemorySegment.ofArray(back));
            assertEquals(63 * 1000 + 63, back[63 * 64 + 63]);
        }
        try (OpenClBackend plain = OpenClTestDevice.open()) {
            assertEquals(Map.of(), plain.kernelNanos());
        }
    }

    @Test
    void closeFreesAndRejectsFurtherUse() {
        OpenClBackend cl = OpenClTestDevice.open();
        DeviceBuffer b = cl.allocate(16);
        cl.close();
        b.close();
        cl.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cl.allocate(4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
