package dev.ember.kernels;

import dev.ember.compute.dsl.KernelMath;

/**
 * Float-float (double-single) helpers for the kernels that reproduce the CPU backend's double sums: a value is the
 * unevaluated sum hi + lo of two floats with |lo| ≤ ulp(hi) / 2. Additions are written inline in the kernels (TwoSum
 * and FastTwoSum with plain float adds, exact because the translator turns off FP contraction); these helpers round a
 * float-float quotient to float, standing in for the CPU's {@code (float) (doubleSum / n)} and
 * {@code (float) (1.0 / doubleSum)}.
 */
final class FloatFloat {
    private FloatFloat() {}

    /**
     * The float-float sum of hi[j] + lo[j] for j = 0 .. count-1, added in j order (TwoSum, then the low parts), left in
     * hi[0] + lo[0]: the in-order combination of per-item partial sums that stands in for the CPU's sequential double
     * sum. hi and lo are work-group shared memory; one item calls it.
     */
    static void sum(float[] hi, float[] lo, int count) {
        float sh = 0f;
        float sl = 0f;
        for (int j = 0; j < count; j++) {
            float ah = hi[j];
            float s = sh + ah;
            float bb = s - sh;
            float e = (sh - (s - bb)) + (ah - bb);
            e = e + (sl + lo[j]);
            sh = s + e;
            sl = e - (sh - s);
        }
        hi[0] = sh;
        lo[0] = sl;
    }

    /**
     * (hi + lo) / d rounded to float: q = hi / d (correctly rounded), its exact remainder fma(−q, d, hi), and a
     * one-float correction (remainder + lo) / d added to q. Finite positive d, no underflow.
     */
    static float div(float hi, float lo, float d) {
        float q = hi / d;
        float rem = KernelMath.fma(-q, d, hi);
        return q + (rem + lo) / d;
    }

    /** 1 / (hi + lo) rounded to float (hi ≥ 1 here: softmax sums include e⁰): q = 1 / hi plus a correction. */
    static float reciprocal(float hi, float lo) {
        float q = 1.0f / hi;
        float rem = KernelMath.fma(-q, hi, 1.0f);
        return q + KernelMath.fma(-q, lo, rem) / hi;
    }
}
