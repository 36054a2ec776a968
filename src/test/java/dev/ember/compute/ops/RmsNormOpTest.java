package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.Ops;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.RmsNorm;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RmsNorm kernel against {@link Ops#rmsNorm} (squares summed in double): the kernel carries the sum in float-float
 * and rounds the mean once, so its outputs are bit-identical; row lengths include ones below, above and not a
 * multiple of the work-group size, and rows of very different magnitudes.
 */
class RmsNormOpTest {
    private static final float EPS = 1e-6f;
    private static final KernelRef KERNEL = KernelRef.of(RmsNorm.class, "rmsNorm");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void matchesCpuRowsOfEveryLength(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(1);
        for (int n : new int[] {1, 7, 65, 257, 1000, 2048, 4096}) {
            int rows = 8;
            float[] x = new float[rows * n];  // [rows, n]
            float[] w = new float[n];         // [n]
            for (int i = 0; i < x.length; i++) {
                double magnitude = Math.pow(10, i / n % 4 - 2); // rows of 1e-2 .. 1e1
                x[i] = (float) ((rnd.nextGaussian() * 3 + 0.5) * magnitude);
            }
            for (int i = 0; i < n; i++) w[i] = (float) (rnd.nextGaussian() + 1);
            float[] expected = new float[rows * n]; // [rows, n]
            for (int r = 0; r < rows; r++) Ops.rmsNorm(x, r * n, w, expected, r * n, n, EPS);

            try (DeviceBuffer dx = DeviceArrays.upload(backend, x);
                 DeviceBuffer dw = DeviceArrays.upload(backend, w);
                 DeviceBuffer dout = backend.allocate(4L * rows * n)) {
                backend.launch(KERNEL, RmsNorm.launch(rows), dx, dw, dout, n, EPS);
                Tolerance.assertBitExact(expected, DeviceArrays.floats(backend, dout, rows * n), name + " n=" + n);
                Tolerance.assertClose(x, DeviceArrays.floats(backend, dx, rows * n), 0, 0, name + " n=" + n + " input untouched");
            }
        }
    }

    /** Per-head q/k norm: rows = tokens × heads of headDim, written over the input. */
    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void normalizesHeadsInPlace(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(2);
        for (int headDim : new int[] {64, 48}) {
            int rows = 5 * 4; // 5 tokens × 4 heads
            float[] x = new float[rows * headDim]; // [tokens, heads × headDim]
            float[] w = new float[headDim];        // [headDim]
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < headDim; i++) w[i] = (float) (rnd.nextGaussian() * 0.2 + 1);
            float[] expected = x.clone(); // [tokens, heads × headDim]
            for (int r = 0; r < rows; r++) Ops.rmsNorm(expected, r * headDim, w, expected, r * headDim, headDim, EPS);

            try (DeviceBuffer dx = DeviceArrays.upload(backend, x);
                 DeviceBuffer dw = DeviceArrays.upload(backend, w)) {
                backend.launch(KERNEL, RmsNorm.launch(rows), dx, dw, dx, headDim, EPS);
                Tolerance.assertBitExact(expected, DeviceArrays.floats(backend, dx, x.length), name + " headDim=" + headDim);
            }
        }
    }
}
