package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.Ops;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.Softmax;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Softmax kernel against {@link Ops#softmax} (ggml's vector exp, pairwise 8-lane chunk sums, double sum of the
 * chunks): the kernel uses the same exp and chunk order and a float-float sum, so its outputs are bit-identical.
 * Rows are spread (many positions far below the max) and narrow (all positions contribute).
 */
class SoftmaxOpTest {
    private static final KernelRef KERNEL = KernelRef.of(Softmax.class, "softmax");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void matchesCpuRowsOfEveryLength(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(3);
        float scale = 0.125f;
        for (int n : new int[] {1, 7, 8, 65, 257, 1000, 2048, 4099}) {
            int rows = 6;
            float[] x = new float[rows * n]; // [rows, n]
            for (int i = 0; i < x.length; i++) {
                double spread = i / n % 2 == 0 ? 20 : 2; // wide and narrow rows
                x[i] = (float) (rnd.nextGaussian() * spread - 5);
            }
            float[] expected = x.clone();    // [rows, n]
            for (int r = 0; r < rows; r++) Ops.softmax(expected, r * n, n, scale);

            try (DeviceBuffer dx = DeviceArrays.upload(backend, x)) {
                backend.launch(KERNEL, Softmax.launch(rows), dx, n, scale);
                float[] actual = DeviceArrays.floats(backend, dx, rows * n);
                Tolerance.assertBitExact(expected, actual, name + " n=" + n);
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += actual[r * n + i];
                    Tolerance.assertClose(new float[] {1f}, new float[] {(float) sum}, 1e-5, 0, name + " n=" + n + " row " + r + " sum");
                }
            }
        }
    }
}
