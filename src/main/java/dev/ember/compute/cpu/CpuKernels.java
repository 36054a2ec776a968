package dev.ember.compute.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * Which code the CPU kernels run in this JVM: the Vector API kernels in ggml's AVX2 lane order, which need at least
 * 256-bit vectors (x86 with AVX2 or AVX-512, ARM with 256-bit SVE); where the vectors are 128 bits wide (NEON, or
 * {@code -XX:MaxVectorSize=16}) 128-bit forms of the Q4_0 / Q8_0 / Q4_K / Q6_K dots and the scalar {@link ReferenceDot}
 * fallback for everything else; with no usable vectors (or {@code -Dember.vector.disable=true}) the scalar fallback only.
 */
public final class CpuKernels {
    private CpuKernels() {}

    /**
     * Whether {@link #repack} repacks weights: on unless {@code -Dember.cpu.repack=false} (for A/B runs against the
     * in-place kernels, which follow ggml's AVX2 summation order bit for bit).
     */
    public static boolean repackEnabled() {
        return !"false".equalsIgnoreCase(System.getProperty("ember.cpu.repack", "true"));
    }

    /**
     * Prepares a weight matrix for the CPU kernels: Q4_0, Q4_K and Q6_K matrices whose rows come in groups of eight are
     * repacked in memory for the interleaved decode kernels ({@link Q4_0x8}, {@link Q4_Kx8}, {@link Q6_Kx8}), and the original pages of the mapping
     * are handed back to the kernel so the weights are not resident twice. Idempotent. True when the matrix now runs
     * repacked. A model's matrices go through {@link RepackCache#repack} instead, which keeps the copies on disk.
     */
    public static boolean repack(WeightMatrix m, WorkerPool pool) {
        return repackEnabled() && m instanceof Repackable r && r.pack(pool);
    }

    /** Frees what {@link #repack} made for {@code m} (the matrix then reads its original data again). */
    public static void release(WeightMatrix m) {
        if (m instanceof Repackable r) r.unpack();
    }

    /** True when the matrices run the full 256-bit Vector API kernels. */
    public static boolean vectorized() {
        return Lanes.ENABLED;
    }

    /**
     * Null when {@link #vectorized()}; otherwise what runs instead and what it costs, for a start-up warning. Measured on
     * llama-1b, 2 threads, {@code -XX:MaxVectorSize=16} on an AVX-512 machine against the same JVM without the flag, two
     * alternating rounds (perf/RESULTS.md): the 128-bit kernels give Q4_0 pp32 21-27 / tg16 10-12 t/s (34-37 / 13-14 with
     * 256-bit vectors), Q8_0 17-19 / 10-11 (35-37 / 14-15), Q4_K_M 7.2-7.5 / 4.2-6.3 (30-31 / 9-11); the scalar fallback
     * alone gave Q4_0 pp32 1.46, tg16 0.96 t/s.
     */
    public static String fallbackWarning() {
        if (vectorized()) return null;
        if (Lanes.NARROW) {
            return "CPU kernels run 128-bit vectors: this JVM offers 128-bit vectors (the full kernels need 256: AVX2 / "
                    + "AVX-512, or 256-bit SVE); Q4_0, Q8_0, Q4_K and Q6_K matrices and attention use 128-bit kernels, other "
                    + "weight types the scalar fallback: expect 1.3-2.5x lower decode and 1.3-5x lower prefill speed "
                    + "than on an AVX2 machine (Q4_K_M the slowest)";
        }
        String why = Boolean.getBoolean("ember.vector.disable")
                ? "-Dember.vector.disable=true is set"
                : "this JVM offers " + FloatVector.SPECIES_PREFERRED.vectorBitSize()
                        + "-bit vectors and the kernels need at least 128 (256 for all of them)";
        return "CPU kernels run the scalar fallback: " + why + "; expect 10-30x lower speed than on an AVX2 machine";
    }
}
