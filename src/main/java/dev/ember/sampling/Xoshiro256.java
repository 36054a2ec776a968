package dev.ember.sampling;

/**
 * xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64. Written out here rather than
 * taken from {@code java.util.random} so that a seed gives the same numbers on every JVM and version:
 * the JDK documents its algorithms' quality, not their exact output across releases.
 */
public final class Xoshiro256 {
    private long s0, s1, s2, s3;

    public Xoshiro256(long seed) {
        long x = seed;
        // SplitMix64 spreads any seed (even 0) over the 256-bit state, which must not be all zero.
        x += 0x9E3779B97F4A7C15L; s0 = mix(x);
        x += 0x9E3779B97F4A7C15L; s1 = mix(x);
        x += 0x9E3779B97F4A7C15L; s2 = mix(x);
        x += 0x9E3779B97F4A7C15L; s3 = mix(x);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1): the top 53 bits as a double. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
