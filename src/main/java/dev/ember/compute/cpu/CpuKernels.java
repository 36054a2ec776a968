package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Which code the CPU kernels run in this JVM: the Vector API kernels in ggml's AVX2 lane order, which need at least
 * 256-bit vectors (x86 with AVX2 or AVX-512, ARM with 256-bit SVE), or the scalar {@link ReferenceDot} fallback
 * elsewhere (128-bit NEON, or {@code -XX:MaxVectorSize=16}), which is an order of magnitude slower.
 */
public final class CpuKernels {
    private CpuKernels() {}

    /** True when the matrices run the Vector API kernels. */
    public static boolean vectorized() {
        return Lanes.ENABLED;
    }

    /**
     * Null when {@link #vectorized()}; otherwise why not and what it costs, for a start-up warning. Measured on llama-1b
     * Q4_0 (2 threads, {@code -XX:MaxVectorSize=16} on an AVX-512 machine): pp16 1.35 and tg8 1.07 t/s, against ~31 and
     * ~14 t/s vectorized (perf/RESULTS.md).
     */
    public static String fallbackWarning() {
        if (vectorized()) return null;
        String why = Boolean.getBoolean("ember.vector.disable")
                ? "-Dember.vector.disable=true is set"
                : "this JVM offers " + FloatVector.SPECIES_PREFERRED.vectorBitSize()
                        + "-bit vectors and the kernels need 256 (AVX2 / AVX-512, or 256-bit SVE)";
        return "CPU kernels run the scalar fallback: " + why + "; expect 10-30x lower speed than on an AVX2 machine";
    }
}
