package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.KvStore;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** KvStore kernel: each token's k and v rows land, bit for bit, in its slot; every other slot keeps its contents. */
class KvStoreOpTest {
    private static final KernelRef KERNEL = KernelRef.of(KvStore.class, "store");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void storesRowsAtTheirSlots(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(8);
        int numSlots = 40;
        int[] slots = {17, 3, 39, 0, 22, 23, 8}; // [tokens] distinct, scrambled
        int tokens = slots.length;
        for (int kvDim : new int[] {1, 65, 256, 1000}) {
            float[] k = gaussian(rnd, tokens * kvDim);         // [tokens, kvDim]
            float[] v = gaussian(rnd, tokens * kvDim);         // [tokens, kvDim]
            float[] kCache = gaussian(rnd, numSlots * kvDim);  // [numSlots, kvDim]
            float[] vCache = gaussian(rnd, numSlots * kvDim);  // [numSlots, kvDim]
            float[] kExpected = kCache.clone();
            float[] vExpected = vCache.clone();
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(k, t * kvDim, kExpected, slots[t] * kvDim, kvDim);
                System.arraycopy(v, t * kvDim, vExpected, slots[t] * kvDim, kvDim);
            }
            try (DeviceBuffer dk = DeviceArrays.upload(backend, k);
                 DeviceBuffer dv = DeviceArrays.upload(backend, v);
                 DeviceBuffer ds = DeviceArrays.upload(backend, slots);
                 DeviceBuffer dkc = DeviceArrays.upload(backend, kCache);
                 DeviceBuffer dvc = DeviceArrays.upload(backend, vCache)) {
                backend.launch(KERNEL, KvStore.launch(kvDim, tokens), dk, dv, ds, dkc, dvc, kvDim, tokens);
                Tolerance.assertClose(kExpected, DeviceArrays.floats(backend, dkc, kCache.length), 0, 0, name + " kCache kvDim=" + kvDim);
                Tolerance.assertClose(vExpected, DeviceArrays.floats(backend, dvc, vCache.length), 0, 0, name + " vCache kvDim=" + kvDim);
            }
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
