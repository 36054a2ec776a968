package dev.ember.compute.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.Activations;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import dev.ember.gguf.GgmlType;
import dev.ember.kernels.QuantizeQ8_0;
import dev.ember.kernels.QuantizeQ8_K;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * QuantizeQ8_0 and QuantizeQ8_K write exactly the bytes of Activations.quantize (ggml's AVX2 quantize_row_q8_0 and
 * quantize_row_q8_K_ref), for rows of blocks of many kinds: Gaussian at several scales, all zero, tiny (1e-30, the
 * fp16 d underflows) and huge (1e30, the fp16 d overflows), exact rounding ties, equal-magnitude extremes of opposite
 * sign (Q8_K takes the first), a lone outlier, all-negative blocks.
 */
class QuantizeOpTest {
    private static final KernelRef Q8_0 = KernelRef.of(QuantizeQ8_0.class, "quantize");
    private static final KernelRef Q8_K = KernelRef.of(QuantizeQ8_K.class, "quantize");
    /** Block kinds {@link #fill} knows. */
    private static final int KINDS = 10;

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void q8_0MatchesActivationsByteForByte(String name) {
        int blocks = 3 * KINDS;
        check(TestBackends.get(name), GgmlType.Q8_0, Q8_0, QuantizeQ8_0.launch(blocks), blocks);
    }

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void q8_KMatchesActivationsByteForByte(String name) {
        int blocks = 2 * KINDS;
        check(TestBackends.get(name), GgmlType.Q8_K, Q8_K, QuantizeQ8_K.launch(blocks), blocks);
    }

    private static void check(Backend backend, GgmlType type, KernelRef kernel, Launch launch, int blocks) {
        int qk = type.blockSize;
        float[] x = new float[blocks * qk];   // [blocks, qk]
        Random rnd = new Random(31 + qk);
        for (int b = 0; b < blocks; b++) fill(x, b * qk, qk, b % KINDS, rnd);

        // The CPU encoding, one row per block (rows of one block are the smallest unit Activations takes).
        MemorySegment want = MemorySegment.ofArray(new byte[blocks * type.typeSize]);   // [blocks × typeSize]
        for (int b = 0; b < blocks; b++) Activations.quantize(type, x, b * qk, qk, want, (long) b * type.typeSize);

        DeviceBuffer xb = DeviceIo.upload(backend, x);
        DeviceBuffer ob = backend.allocate((long) blocks * type.typeSize);
        backend.launch(kernel, launch, xb, ob, blocks);
        byte[] got = DeviceIo.bytes(backend, ob, blocks * type.typeSize);   // [blocks × typeSize]
        xb.close();
        ob.close();

        byte[] w = want.toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < w.length; i++) {
            int b = i / type.typeSize;
            assertEquals(w[i], got[i], type + " block " + b + " (kind " + (b % KINDS) + ") byte " + i % type.typeSize);
        }
        // the ties block (kind 4, scale 1) must really round 2.5 to the even 2, else the test proves less than it says
        assertEquals(2, w[4 * type.typeSize + (type == GgmlType.Q8_0 ? 2 : 4) + 2]);
    }

    /** Fills x[o .. o + n) with block kind {@code kind} (0..KINDS-1). */
    private static void fill(float[] x, int o, int n, int kind, Random rnd) {
        switch (kind) {
            case 0 -> { for (int j = 0; j < n; j++) x[o + j] = (float) rnd.nextGaussian(); }
            case 1 -> { for (int j = 0; j < n; j++) x[o + j] = (float) (rnd.nextGaussian() * 1e-3); }
            case 2 -> { for (int j = 0; j < n; j++) x[o + j] = 0f; }
            case 3 -> { for (int j = 0; j < n; j++) x[o + j] = (float) (rnd.nextGaussian() * 1e-30); }
            case 4 -> {
                // ties: the block's extreme is ±127, so the scale is exactly 1 and x ± k.5 lands halfway
                for (int j = 0; j < n; j++) x[o + j] = (j % 2 == 0 ? 1 : -1) * ((j % 16) + 0.5f);
                x[o + n - 1] = (n == 32 ? 127f : -127f);
            }
            case 5 -> { for (int j = 0; j < n; j++) x[o + j] = (float) (rnd.nextGaussian() * 1e30); }
            case 6 -> {
                // equal magnitudes of opposite sign: Q8_K's d takes the sign of the first
                for (int j = 0; j < n; j++) x[o + j] = (float) rnd.nextGaussian();
                x[o + 5] = -9.75f;
                x[o + n - 3] = 9.75f;
            }
            case 7 -> {
                for (int j = 0; j < n; j++) x[o + j] = (float) (rnd.nextGaussian() * 0.01);
                x[o + n / 2 + 1] = 1000f;
            }
            case 8 -> { for (int j = 0; j < n; j++) x[o + j] = (float) -Math.abs(rnd.nextGaussian() * 3); }
            default -> {
                // ties at a scale of 2: extreme 63.5 gives 127/63.5 = 2 (Q8_0), -127/-63.5 = 2 (Q8_K); x = k + 0.25
                for (int j = 0; j < n; j++) x[o + j] = (j % 32) + 0.25f - 16f;
                x[o + 3] = -63.5f;
            }
        }
    }
}
