package dev.ember.compute.ops;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparison of a kernel's output with a reference: |actual − expected| ≤ abs + rel·|expected|. */
final class Tolerance {
    private Tolerance() {}

    /** Fails at the first element out of tolerance, naming it and both values. */
    static void assertClose(float[] expected, float[] actual, double rel, double abs, String what) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (rel " + rel + ", abs " + abs + ")");
            }
        }
    }

    /** Fails at the first element whose float bits differ from the reference's (bit-identical outputs). */
    static void assertBitExact(float[] expected, float[] actual, String what) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (bit-exact)");
            }
        }
    }
}
