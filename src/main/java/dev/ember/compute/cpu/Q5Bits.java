package dev.ember.compute.cpu;

import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The fifth bit of Q5_0/Q5_1 elements, spread into 16-bit lanes: for 16 elements whose bits are {@code h16} (bit e for
 * element e), the even lane m gets 16 if bit 2m is set and the odd lane m gets 16 if bit 2m+1 is set. AVX2 has no
 * per-lane 16-bit variable shift, so this tests constant single-bit masks (as ggml's bytes_from_bits_32 does with bytes).
 */
final class Q5Bits {
    private Q5Bits() {}

    private static final ShortVector EVEN = ShortVector.fromArray(Lanes.S16x8,
            new short[] {1, 4, 16, 64, 256, 1024, 4096, 16384}, 0);
    private static final ShortVector ODD = ShortVector.fromArray(Lanes.S16x8,
            new short[] {2, 8, 32, 128, 512, 2048, 8192, (short) 32768}, 0);

    static ShortVector even(int h16) {
        return sixteenWhereSet(ShortVector.broadcast(Lanes.S16x8, (short) h16).and(EVEN));
    }

    static ShortVector odd(int h16) {
        return sixteenWhereSet(ShortVector.broadcast(Lanes.S16x8, (short) h16).and(ODD));
    }

    private static ShortVector sixteenWhereSet(ShortVector bits) {
        return ((ShortVector) bits.compare(VectorOperators.NE, (short) 0).toVector()).and((short) 16);
    }
}
