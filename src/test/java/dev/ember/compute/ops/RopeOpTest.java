package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.Rope;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rope kernel against {@link dev.ember.compute.cpu.Rope#apply} with the same host-computed angles, in both
 * pair layouts, with full and partial rotation (dims past ropeDims untouched). Each output is two products
 * and a sum, as on the CPU; a device that fuses them into an fma may differ by an ulp or so: 1e-6
 * absolute plus 1e-6 relative.
 */
class RopeOpTest {
    private static final double REL = 1e-6;
    private static final double ABS = 1e-6;
    private static final KernelRef KERNEL = KernelRef.of(Rope.class, "rope");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void matchesCpuRope(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(7);
        int[] positions = {0, 3, 17, 100, 4095, 1}; // one per token, unordered like a mixed batch
        int tokens = positions.length;
        // {heads, headDim, ropeDims}: full rotation, partial rotation, and one head whose pairs fill no whole group
        int[][] shapes = {{4, 64, 64}, {8, 48, 32}, {1, 6, 6}, {3, 128, 64}};
        for (int[] shape : shapes) {
            int heads = shape[0], headDim = shape[1], ropeDims = shape[2];
            int half = ropeDims / 2;
            for (int neox = 0; neox <= 1; neox++) {
                var cpu = new dev.ember.compute.cpu.Rope(ropeDims, 1_000_000f, 1f, null, neox != 0);
                float[] cos = new float[tokens * half]; // [tokens, ropeDims/2]
                float[] sin = new float[tokens * half]; // [tokens, ropeDims/2]
                for (int t = 0; t < tokens; t++) cpu.angles(positions[t], cos, sin, t * half);
                float[] x = new float[tokens * heads * headDim]; // [tokens, heads × headDim]
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] expected = x.clone();
                for (int t = 0; t < tokens; t++) cpu.apply(expected, t * heads * headDim, heads, headDim, cos, sin, t * half);

                String what = name + " heads=" + heads + " headDim=" + headDim + " ropeDims=" + ropeDims + " neox=" + neox;
                try (DeviceBuffer dx = DeviceArrays.upload(backend, x);
                     DeviceBuffer dc = DeviceArrays.upload(backend, cos);
                     DeviceBuffer ds = DeviceArrays.upload(backend, sin)) {
                    backend.launch(KERNEL, Rope.launch(tokens, heads, ropeDims), dx, dc, ds, tokens, heads, headDim, ropeDims, neox);
                    float[] actual = DeviceArrays.floats(backend, dx, x.length);
                    Tolerance.assertClose(expected, actual, REL, ABS, what);
                    for (int t = 0; t < tokens; t++) {
                        for (int h = 0; h < heads; h++) {
                            for (int d = ropeDims; d < headDim; d++) {
                                int i = (t * heads + h) * headDim + d;
                                Tolerance.assertClose(new float[] {x[i]}, new float[] {actual[i]}, 0, 0, what + " pass-through dim " + d);
                            }
                        }
                    }
                }
            }
        }
    }
}
