package dev.ember.compute.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.Argmax;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Argmax kernel against a plain scan that keeps the first maximum; ties must resolve to the lowest index. */
class ArgmaxOpTest {
    private static final KernelRef KERNEL = KernelRef.of(Argmax.class, "argmax");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void findsTheLargestOfEveryLength(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(10);
        for (int n : new int[] {1, 7, 65, 257, 1000, 2048, 151_936}) {
            int rows = 3;
            float[] x = new float[rows * n]; // [rows, n]
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 5);
            assertArrayEquals(reference(x, rows, n), run(backend, x, rows, n), name + " n=" + n);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void tiesGoToTheLowestIndex(String name) {
        Backend backend = TestBackends.get(name);
        int n = 1000;
        int rows = 4;
        float[] x = new float[rows * n]; // [rows, n]
        for (int i = 0; i < n; i++) {
            x[i] = -(i % 13);                       // row 0: 0 at 0, 13, 26, ...: answer 0
            x[n + i] = 1f;                          // row 1: all equal: answer 0
            x[2 * n + i] = Float.NEGATIVE_INFINITY; // row 2: all -inf: answer 0
            x[3 * n + i] = (float) Math.sin(i);     // row 3: the maximum repeated below
        }
        // row 3: the same maximum at columns of different items; 260 (item 4) must lose to 200 (item 200)
        for (int c : new int[] {999, 700, 260, 200, 511}) x[3 * n + c] = 7f;
        int[] actual = run(backend, x, rows, n);
        assertArrayEquals(new int[] {0, 0, 0, 200}, actual, name);
        assertArrayEquals(reference(x, rows, n), actual, name + " reference");
    }

    private static int[] run(Backend backend, float[] x, int rows, int n) {
        try (DeviceBuffer dx = DeviceArrays.upload(backend, x);
             DeviceBuffer dout = backend.allocate(4L * rows)) {
            backend.launch(KERNEL, Argmax.launch(rows), dx, dout, n);
            return DeviceArrays.ints(backend, dout, rows);
        }
    }

    /** [rows]: the first index of each row's maximum. */
    private static int[] reference(float[] x, int rows, int n) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int i = 1; i < n; i++) if (x[r * n + i] > x[r * n + best]) best = i;
            out[r] = best;
        }
        return out;
    }
}
