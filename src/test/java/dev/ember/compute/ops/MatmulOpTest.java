package dev.ember.compute.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.Activations;
import dev.ember.compute.cpu.Matmul;
import dev.ember.compute.cpu.WeightMatrix;
import dev.ember.compute.cpu.WorkerPool;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import dev.ember.kernels.MatmulF16;
import dev.ember.kernels.MatmulF32;
import dev.ember.kernels.MatmulQuant;
import dev.ember.kernels.QuantizeQ8_0;
import dev.ember.kernels.QuantizeQ8_K;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MatmulF32, MatmulF16 and MatmulQuant against the CPU path (compute.cpu.Matmul over WeightMatrix, ggml's AVX2 dots)
 * on the same weights (random Gaussian floats, seeded, encoded by the project's quantizers) and activations. For the
 * quantized types the activations go through the device quantize kernels (QuantizeQ8_0 / QuantizeQ8_K), so the whole
 * device path is compared. Shapes: rows 1, 7, 33, 257, 3 and 4; cols from one block up to more blocks than a
 * work-group has items (float types: 1 to 300 columns, with and without leftovers past the last 32); n = 1, 3, 5 tokens.
 *
 * <p>F32, F16, Q8_0 and Q4_0 reproduce ggml's AVX2 float order (the CPU's), so every output must be bit-identical
 * (Float.floatToIntBits). Q4_K and Q6_K sum the same exact per-block integer dots in a different float order than ggml's
 * lanes, so they agree to float rounding of the sum: |device − cpu| ≤ 1e-4 · Σc |w[r, c] · x[t, c]| (w dequantized, x
 * the float activations), the row magnitude.
 */
class MatmulOpTest {
    private static final KernelRef F32 = KernelRef.of(MatmulF32.class, "matmul");
    private static final KernelRef F16 = KernelRef.of(MatmulF16.class, "matmul");
    private static final KernelRef QUANT = KernelRef.of(MatmulQuant.class, "matmul");
    private static final KernelRef Q8_0 = KernelRef.of(QuantizeQ8_0.class, "quantize");
    private static final KernelRef Q8_K = KernelRef.of(QuantizeQ8_K.class, "quantize");
    private static final double TOLERANCE = 1e-4;

    /** rows, column blocks, tokens. */
    private record Shape(int rows, int blocks, int n) {}

    private static final List<Shape> SHAPES = List.of(new Shape(1, 1, 1), new Shape(7, 3, 3), new Shape(33, 5, 5),
            new Shape(257, 2, 3), new Shape(3, 70, 1), new Shape(4, 64, 5));

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void f32(String name) {
        check(TestBackends.get(name), GgmlType.F32);
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void f16(String name) {
        check(TestBackends.get(name), GgmlType.F16);
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void q8_0(String name) {
        check(TestBackends.get(name), GgmlType.Q8_0);
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void q4_0(String name) {
        check(TestBackends.get(name), GgmlType.Q4_0);
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void q4_K(String name) {
        check(TestBackends.get(name), GgmlType.Q4_K);
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void q6_K(String name) {
        check(TestBackends.get(name), GgmlType.Q6_K);
    }

    private static void check(Backend backend, GgmlType type) {
        Random rnd = new Random(1000 + type.id);
        double worst = 0;
        boolean exact = type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
        try (WorkerPool pool = new WorkerPool(1)) {
            Matmul cpu = new Matmul(pool);
            for (Shape s : SHAPES) {
                int rows = s.rows(), n = s.n();
                // float types: one "block" is one column; stretch the odd shapes so cols exceed the 64 items too
                int cols = type.blockSize == 1 ? (s.blocks() == 70 ? 300 : s.blocks() == 64 ? 256 : 7 * s.blocks() - 6) : s.blocks() * type.blockSize;
                float[] wf = new float[rows * cols];   // [rows, cols]
                for (int i = 0; i < wf.length; i++) wf[i] = (float) (rnd.nextGaussian() * (1 + (i / cols) % 4));
                float[] x = new float[n * cols];       // [n, cols]
                for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, (i / 32) % 3 - 1));
                MemorySegment wq = TestWeights.encode(type, wf, rows, cols);   // [rows, cols] of type
                WeightMatrix m = WeightMatrix.of(new GgufTensor("w", type, new long[] {cols, rows}, 0, wq));

                float[] want = new float[n * rows];    // [n, rows]
                cpu.apply(m, x, 0, n, want, 0);
                float[] got = device(backend, type, wq, x, rows, cols, n);   // [n, rows]

                float[] wd = new float[cols];          // [cols] dequantized row r
                for (int r = 0; r < rows; r++) {
                    m.dequantizeRow(r, wd, 0);
                    for (int t = 0; t < n; t++) {
                        double mag = 0;
                        for (int c = 0; c < cols; c++) mag += Math.abs((double) wd[c] * x[t * cols + c]);
                        double err = Math.abs((double) got[t * rows + r] - want[t * rows + r]);
                        worst = Math.max(worst, err / mag);
                        if (exact) {
                            assertEquals(Float.floatToIntBits(want[t * rows + r]), Float.floatToIntBits(got[t * rows + r]),
                                    type + " " + s + " cols " + cols + " out[" + t + ", " + r + "]: device "
                                            + got[t * rows + r] + " cpu " + want[t * rows + r] + " (not bit-identical)");
                        }
                        assertTrue(err <= TOLERANCE * mag, type + " " + s + " cols " + cols + " out[" + t + ", " + r
                                + "]: device " + got[t * rows + r] + " cpu " + want[t * rows + r] + " (row magnitude " + mag + ")");
                    }
                }
            }
        }
        System.out.printf("MatmulOpTest %s on %s: max |device - cpu| / row magnitude = %.3g%n", type, backend.name(), worst);
    }

    /** The device path: upload w and x, quantize x on the device if the type needs it, run the matmul. */
    private static float[] device(Backend backend, GgmlType type, MemorySegment wq, float[] x, int rows, int cols, int n) {
        DeviceBuffer wb = DeviceIo.upload(backend, wq);
        DeviceBuffer xb = DeviceIo.upload(backend, x);
        DeviceBuffer ob = backend.allocate(4L * n * rows);
        switch (type) {
            case F32 -> backend.launch(F32, MatmulF32.launch(rows, n), wb, xb, ob, rows, cols, n);
            case F16 -> backend.launch(F16, MatmulF16.launch(rows, n), wb, xb, ob, rows, cols, n);
            default -> {
                GgmlType at = type.blockSize == 32 ? GgmlType.Q8_0 : GgmlType.Q8_K;
                int blocks = n * cols / at.blockSize;
                DeviceBuffer xq = backend.allocate(Activations.rowBytes(at, cols) * n);
                if (at == GgmlType.Q8_0) backend.launch(Q8_0, QuantizeQ8_0.launch(blocks), xb, xq, blocks);
                else backend.launch(Q8_K, QuantizeQ8_K.launch(blocks), xb, xq, blocks);
                backend.launch(QUANT, MatmulQuant.launch(type.id, rows, n), wb, type.id, xq, ob, rows, cols, n);
                xq.close();
            }
        }
        float[] out = DeviceIo.floats(backend, ob, n * rows);
        wb.close();
        xb.close();
        ob.close();
        return out;
    }
}
