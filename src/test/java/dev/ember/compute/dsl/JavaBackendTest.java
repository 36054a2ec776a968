package dev.ember.compute.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java executor's semantics that every kernel relies on: barriers order shared-memory writes across a
 * work-group, ids follow the launch geometry in two dimensions, and misuse fails with a message that
 * names the problem. The kernels here are test-only (the class is public: the executor binds kernels
 * through the public lookup).
 */
public class JavaBackendTest {
    /** Items per group of the reversal kernel. */
    static final int REVERSE_LOCAL = 32;

    private final JavaBackend backend = new JavaBackend();

    @AfterEach
    void close() {
        backend.close();
    }

    /** Reverses each group's slice of x through shared memory: correct only if the barrier waits for every item's write. */
    @Kernel(barrier = true)
    public static void reverse(KernelContext ctx, F32Buffer x) {
        float[] shared = ctx.localFloats(REVERSE_LOCAL); // [REVERSE_LOCAL]
        int lid = ctx.localId(0);
        shared[lid] = x.get(ctx.globalId(0));
        ctx.barrier();
        x.set(ctx.globalId(0), shared[REVERSE_LOCAL - 1 - lid]);
    }

    /** Writes each item's ids: out[linear global id × 8 + k] for k = groupId(0,1), localId(0,1), globalId(0,1), groupCount(1), globalSize(0). */
    @Kernel
    public static void ids(KernelContext ctx, I32Buffer out) {
        int linear = ctx.globalId(1) * ctx.globalSize(0) + ctx.globalId(0);
        out.set(linear * 8, ctx.groupId(0));
        out.set(linear * 8 + 1, ctx.groupId(1));
        out.set(linear * 8 + 2, ctx.localId(0));
        out.set(linear * 8 + 3, ctx.localId(1));
        out.set(linear * 8 + 4, ctx.globalId(0));
        out.set(linear * 8 + 5, ctx.globalId(1));
        out.set(linear * 8 + 6, ctx.groupCount(1));
        out.set(linear * 8 + 7, ctx.globalSize(0));
    }

    /** Calls barrier() without declaring it. */
    @Kernel
    public static void undeclaredBarrier(KernelContext ctx, F32Buffer x) {
        ctx.barrier();
    }

    /** x[i] *= factor for i < n. */
    @Kernel
    public static void scale(KernelContext ctx, F32Buffer x, float factor, int n) {
        int i = ctx.globalId(0);
        if (i < n) x.set(i, x.get(i) * factor);
    }

    @Test
    void barrierOrdersSharedMemoryAcrossTheGroup() {
        int groups = 3;
        int n = groups * REVERSE_LOCAL;
        DeviceBuffer x = backend.allocate(4L * n); // [groups × REVERSE_LOCAL]
        float[] in = new float[n];
        for (int i = 0; i < n; i++) in[i] = i;
        upload(x, in);
        backend.launch(KernelRef.of(JavaBackendTest.class, "reverse"), Launch.of(groups, REVERSE_LOCAL), x);
        float[] out = download(x, n);
        for (int g = 0; g < groups; g++) {
            for (int l = 0; l < REVERSE_LOCAL; l++) {
                assertEquals(g * REVERSE_LOCAL + REVERSE_LOCAL - 1 - l, out[g * REVERSE_LOCAL + l], "group " + g + " item " + l);
            }
        }
    }

    @Test
    void idsFollowATwoDimensionalLaunch() {
        int[] groups = {3, 2, 1};
        int[] local = {4, 5, 1};
        int sizeX = groups[0] * local[0], sizeY = groups[1] * local[1];
        DeviceBuffer out = backend.allocate(4L * 8 * sizeX * sizeY); // [sizeY, sizeX, 8]
        backend.launch(KernelRef.of(JavaBackendTest.class, "ids"), new Launch(groups, local), out);
        int[] ids = downloadInts(out, 8 * sizeX * sizeY);
        for (int y = 0; y < sizeY; y++) {
            for (int x = 0; x < sizeX; x++) {
                int o = (y * sizeX + x) * 8;
                String at = "item (" + x + ", " + y + ")";
                assertEquals(x / local[0], ids[o], at + " groupId(0)");
                assertEquals(y / local[1], ids[o + 1], at + " groupId(1)");
                assertEquals(x % local[0], ids[o + 2], at + " localId(0)");
                assertEquals(y % local[1], ids[o + 3], at + " localId(1)");
                assertEquals(x, ids[o + 4], at + " globalId(0)");
                assertEquals(y, ids[o + 5], at + " globalId(1)");
                assertEquals(groups[1], ids[o + 6], at + " groupCount(1)");
                assertEquals(sizeX, ids[o + 7], at + " globalSize(0)");
            }
        }
    }

    @Test
    void undeclaredBarrierFailsClearly() {
        DeviceBuffer x = backend.allocate(4L * 8);
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> backend.launch(KernelRef.of(JavaBackendTest.class, "undeclaredBarrier"), Launch.of(2, 4), x));
        assertTrue(messages(e).contains("JavaBackendTest.undeclaredBarrier calls barrier() but is not declared @Kernel(barrier = true)"), messages(e));
    }

    @Test
    void argumentMismatchesFailClearly() {
        KernelRef scale = KernelRef.of(JavaBackendTest.class, "scale");
        DeviceBuffer x = backend.allocate(4L * 8);
        Launch launch = Launch.of(1, 8);

        var e1 = assertThrows(IllegalArgumentException.class, () -> backend.launch(scale, launch, x, 2.0, 8));
        assertEquals("argument 1 (factor) of JavaBackendTest.scale must be a Float, got 2.0", e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> backend.launch(scale, launch, x, 2f, 8L));
        assertEquals("argument 2 (n) of JavaBackendTest.scale must be an Integer, got 8", e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> backend.launch(scale, launch, 1, 2f, 8));
        assertEquals("argument 0 (x) of JavaBackendTest.scale must be a DeviceBuffer, got 1", e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> backend.launch(scale, launch, x, 2f));
        assertEquals("kernel JavaBackendTest.scale takes 3 arguments, got 2", e4.getMessage());

        // and the right arguments work
        upload(x, new float[] {1, 2, 3, 4, 5, 6, 7, 8});
        backend.launch(scale, launch, x, 2f, 5);
        assertEquals(java.util.List.of(2f, 4f, 6f, 8f, 10f, 6f, 7f, 8f), boxed(download(x, 8)));
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) sb.append(c.getMessage()).append(" | ");
        return sb.toString();
    }

    private static java.util.List<Float> boxed(float[] a) {
        java.util.List<Float> l = new java.util.ArrayList<>();
        for (float f : a) l.add(f);
        return l;
    }

    private void upload(DeviceBuffer b, float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * values.length);
            MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, values.length);
            backend.upload(b, 0, s);
        }
    }

    private float[] download(DeviceBuffer b, int n) {
        float[] out = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * n);
            backend.download(b, 0, s);
            MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, out, 0, n);
        }
        return out;
    }

    private int[] downloadInts(DeviceBuffer b, int n) {
        int[] out = new int[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * n);
            backend.download(b, 0, s);
            MemorySegment.copy(s, ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, out, 0, n);
        }
        return out;
    }
}
