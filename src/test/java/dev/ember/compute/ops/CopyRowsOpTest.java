package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.kernels.CopyRows;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** CopyRows kernel: picked rows copied bit for bit, in the order asked (repeats allowed); dst past count untouched. */
class CopyRowsOpTest {
    private static final KernelRef KERNEL = KernelRef.of(CopyRows.class, "copyRows");

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void gathersRows(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(9);
        int srcRows = 9;
        int[] rows = {8, 0, 5, 5, 2}; // [count]
        int count = rows.length;
        for (int width : new int[] {1, 7, 65, 1000}) {
            float[] src = gaussian(rnd, srcRows * width);       // [srcRows, width]
            float[] dst = gaussian(rnd, (count + 1) * width);   // [count + 1, width]: the last row must stay
            float[] expected = dst.clone();
            for (int j = 0; j < count; j++) System.arraycopy(src, rows[j] * width, expected, j * width, width);
            try (DeviceBuffer ds = DeviceArrays.upload(backend, src);
                 DeviceBuffer dr = DeviceArrays.upload(backend, rows);
                 DeviceBuffer dd = DeviceArrays.upload(backend, dst)) {
                backend.launch(KERNEL, CopyRows.launch(width, count), ds, dr, dd, width, count);
                Tolerance.assertClose(expected, DeviceArrays.floats(backend, dd, dst.length), 0, 0, name + " width=" + width);
            }
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
