package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.Add;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Add kernel: one float addition per element, so results are exact; elements past count stay as they were. */
class AddOpTest {
    private static final KernelRef KERNEL = KernelRef.of(Add.class, "add");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void residualAddIsExact(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(5);
        for (int count : new int[] {1, 7, 65, 257, 1000, 2048}) {
            float[] x = gaussian(rnd, count + 3); // [count + 3]: three past the end must stay
            float[] y = gaussian(rnd, count);     // [count]
            float[] expected = x.clone();
            for (int i = 0; i < count; i++) expected[i] = x[i] + y[i];
            run(backend, x, y, count, count, expected, name + " residual count=" + count);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void biasIsAddedToEveryRow(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(6);
        for (int width : new int[] {1, 7, 65, 1000}) {
            int rows = 5;
            float[] x = gaussian(rnd, rows * width); // [rows, width]
            float[] bias = gaussian(rnd, width);     // [width]
            float[] expected = x.clone();
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < width; c++) expected[r * width + c] = x[r * width + c] + bias[c];
            }
            run(backend, x, bias, width, rows * width, expected, name + " bias width=" + width);
        }
    }

    private static void run(Backend backend, float[] x, float[] y, int yLen, int count, float[] expected, String what) {
        try (DeviceBuffer dx = DeviceArrays.upload(backend, x);
             DeviceBuffer dy = DeviceArrays.upload(backend, y)) {
            backend.launch(KERNEL, Add.launch(count), dx, dy, yLen, count);
            Tolerance.assertClose(expected, DeviceArrays.floats(backend, dx, x.length), 0, 0, what);
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
