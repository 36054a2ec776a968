package dev.ember.compute.cpu;

import jdk.incubator.vector.ShortVector;

/**
 * Single-bit masks that spread Q5_0/Q5_1's fifth bits over 16-bit lanes: for 16 elements whose bits are h16 (bit e for
 * element e), lane m of EVEN selects bit 2m (even element of the lane) and lane m of ODD bit 2m+1.
 */
final class Q5Bits {
    private Q5Bits() {}

    static final ShortVector EVEN = ShortVector.fromArray(Lanes.S16x8,
            new short[] {1, 4, 16, 64, 256, 1024, 4096, 16384}, 0);
    static final ShortVector ODD = ShortVector.fromArray(Lanes.S16x8,
            new short[] {2, 8, 32, 128, 512, 2048, 8192, (short) 32768}, 0);
}
