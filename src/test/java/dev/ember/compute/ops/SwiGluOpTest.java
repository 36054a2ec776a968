package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.Ops;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.SwiGlu;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SwiGlu kernel against {@link Ops#siluMul} (ggml's vector exp on 8-lane chunks, libm's on the rest).
 * The kernel's {@code KernelMath.exp} differs from ggml's by about an ulp: relative 1e-5.
 */
class SwiGluOpTest {
    private static final double REL = 1e-5;
    private static final KernelRef KERNEL = KernelRef.of(SwiGlu.class, "siluMul");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void matchesCpuForEveryCount(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(4);
        for (int width : new int[] {1, 7, 8, 65, 172, 1000, 2048}) {
            int count = 3 * width; // [3, width]
            float[] gate = new float[count]; // [count]
            float[] up = new float[count];   // [count]
            for (int i = 0; i < count; i++) {
                gate[i] = (float) (rnd.nextGaussian() * 4);
                up[i] = (float) rnd.nextGaussian();
            }
            float[] expected = gate.clone(); // [count]
            for (int r = 0; r < 3; r++) Ops.siluMul(expected, r * width, up, r * width, width);

            try (DeviceBuffer dg = DeviceArrays.upload(backend, gate);
                 DeviceBuffer du = DeviceArrays.upload(backend, up)) {
                backend.launch(KERNEL, SwiGlu.launch(count), dg, du, width, count);
                Tolerance.assertClose(expected, DeviceArrays.floats(backend, dg, count), REL, 0, name + " count=" + count);
                Tolerance.assertClose(up, DeviceArrays.floats(backend, du, count), 0, 0, name + " count=" + count + " up untouched");
            }
        }
    }
}
