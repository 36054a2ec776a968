package dev.ember.compute.cpu;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Q8_K activation rows ({float d, int8 qs[256], int16 bsums[16]} per superblock, 292 bytes) expanded to lane-ordered,
 * integer-valued floats for {@link Q4_KLaneGemm} and {@link Q6_KLaneGemm}, once per matmul call.
 *
 * <p>Lane order within a superblock, as the AVX2 K-quant dots lay their int lanes out: 32-element group p, lane k, position
 * m: {@code qs[32p + 4k + m]} goes to float {@code 32p + 8m + k}. So float vector {@code 4p + m} holds position m of every
 * lane of group p, and summing the 32 vectors of a superblock lane-wise gives the 8 int lanes of the integer kernels.
 */
final class Q8_KLanes {
    private Q8_KLanes() {}

    /** Floats per superblock for Q4_K: the 256 quants. */
    static final int Q4_K_FLOATS = 256;
    /** Floats per superblock for Q6_K: the 256 quants, 8 vectors of per-lane group sums, -bsums[2k], -bsums[2k+1]. */
    static final int Q6_K_FLOATS = 256 + 64 + 16;

    /** The 256 quants of the superblock at {@code off} into lane order at {@code dst[o ..]}. */
    private static void quants(MemorySegment src, long off, float[] dst, int o) {
        for (int p = 0; p < 8; p++, o += 32) {
            IntVector q = IntVector.fromMemorySegment(Lanes.I32x8, src, off + 4 + 32 * p, Lanes.LE); // int k = bytes 4k..4k+3
            ((FloatVector) q.lanewise(LSHL, 24).lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o);
            ((FloatVector) q.lanewise(LSHL, 16).lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o + 8);
            ((FloatVector) q.lanewise(LSHL, 8).lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o + 16);
            ((FloatVector) q.lanewise(ASHR, 24).convert(I2F, 0)).intoArray(dst, o + 24);
        }
    }

    /**
     * For Q4_K: {@code x[xo + 256b ..]} the quants of superblock b in lane order ({@code [blocks, 256]}), {@code xd[dOff + b]}
     * its d, and {@code xs[sOff + 8b ..]} the sums of bsum pairs s[k] = bsums[2k] + bsums[2k+1] ordered
     * {@code [s0, s2, s4, s6, s1, s3, s5, s7]} ({@code [blocks, 8]}), exact integers (|s| ≤ 4096).
     */
    static void expandForQ4_K(MemorySegment src, long off, int blocks, float[] x, int xo, float[] xd, int dOff,
                              float[] xs, int sOff) {
        for (int b = 0; b < blocks; b++, off += 292, xo += Q4_K_FLOATS) {
            xd[dOff + b] = src.get(Bytes.F32, off);
            quants(src, off, x, xo);
            for (int k = 0; k < 8; k++) {
                int s = Bytes.i16(src, off + 260 + 4 * k) + Bytes.i16(src, off + 262 + 4 * k);
                xs[sOff + 8 * b + (k >> 1) + 4 * (k & 1)] = s;
            }
        }
    }

    /**
     * For Q6_K, {@code [blocks, 336]} at {@code x[xo ..]}: per superblock the 256 quants in lane order; then for group g
     * (0..7) the vector of lane sums {@code Σ_m qs[32g + 4k + m]} (float 256 + 8g + k, |.| ≤ 512); then
     * {@code -bsums[2k]} (float 320 + k) and {@code -bsums[2k+1]} (float 328 + k). {@code xd[dOff + b]} = d.
     */
    static void expandForQ6_K(MemorySegment src, long off, int blocks, float[] x, int xo, float[] xd, int dOff) {
        for (int b = 0; b < blocks; b++, off += 292, xo += Q6_K_FLOATS) {
            xd[dOff + b] = src.get(Bytes.F32, off);
            quants(src, off, x, xo);
            for (int g = 0; g < 8; g++) {
                for (int k = 0; k < 8; k++) {
                    int o = xo + 32 * g + k;
                    x[xo + 256 + 8 * g + k] = ((x[o] + x[o + 8]) + x[o + 16]) + x[o + 24];   // exact: integers ≤ 512
                }
            }
            for (int k = 0; k < 8; k++) {
                x[xo + 320 + k] = -Bytes.i16(src, off + 260 + 4 * k);
                x[xo + 328 + k] = -Bytes.i16(src, off + 262 + 4 * k);
            }
        }
    }
}
