package dev.ember.gguf.synth;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The random values of a synthetic model, reproducible row by row so rows can be made on any thread in any
 * order. Row r of tensor T holds {@code 0.02 · g} for successive {@code g = new SplittableRandom(rowSeed)
 * .nextGaussian()} (the JDK 17+ java.util.random modified-ziggurat normal sampler), where
 * {@code rowSeed = mix64(mix64(seed ^ fnv1a64(T)) + (r + 1)·0x9E3779B97F4A7C15)} and mix64 is SplitMix64's
 * finaliser. Norm weights are 1.0 and draw nothing.
 */
public final class WeightStream {
    public static final float STDDEV = 0.02f;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final long tensorSeed;
    private final boolean ones;

    public WeightStream(long seed, TensorSpec tensor) {
        this.tensorSeed = mix64(seed ^ fnv1a64(tensor.name()));
        this.ones = tensor.ones();
    }

    /** Fills {@code row[0 .. n)} with row {@code r}'s values. */
    public void fillRow(long r, float[] row, int n) {
        if (ones) {
            java.util.Arrays.fill(row, 0, n, 1f);
            return;
        }
        SplittableRandom rng = new SplittableRandom(mix64(tensorSeed + (r + 1) * GOLDEN));
        for (int i = 0; i < n; i++) row[i] = (float) rng.nextGaussian() * STDDEV;
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long fnv1a64(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return h;
    }
}
