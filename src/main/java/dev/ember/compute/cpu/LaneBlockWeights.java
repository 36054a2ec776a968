package dev.ember.compute.cpu;

/**
 * A 32-element block type whose ggml AVX2 dot with Q8_0 activations is: 8 integer lane sums per block (lane k = elements
 * 4k..4k+3), converted to float and accumulated as {@code acc = fma(lane sums, d_w * d_x, acc)}, then hsum_float_8.
 *
 * <p>Such a dot can be done exactly in float arithmetic: every element is a small integer (|w| ≤ 128, |x| ≤ 128), every
 * product and every sum of four products is an integer below 2^24, so a float FMA chain over the four elements of a lane
 * gives the same lane sum as the integer kernel, bit for bit. {@link LaneGemm} uses this for N > 1 activation rows, where
 * the float FMA units do more multiply-adds per cycle than the Vector API's 16-bit integer path.
 */
interface LaneBlockWeights {
    /**
     * Writes weight row {@code row} in lane order, as exact integer-valued floats: for block b, element
     * {@code e = 4k + m} (lane k, position m) goes to {@code dst[dstOffset + 32b + 8m + k]}; the block's scale d to
     * {@code scale[scaleOffset + b]}.
     */
    void unpackLanes(int row, float[] dst, int dstOffset, float[] scale, int scaleOffset);
}
