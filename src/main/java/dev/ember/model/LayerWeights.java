package dev.ember.model;

import dev.ember.compute.cpu.WeightMatrix;

/**
 * One transformer block's weights, read in place from the model file. Shapes are [rows, cols] of the
 * matrix view (cols = GGUF ne0); vectors are copied into float arrays since they are tiny.
 *
 * @param attnNorm [dim]
 * @param wq       [numHeads * headDim, dim]
 * @param wk       [numKvHeads * headDim, dim]
 * @param wv       [numKvHeads * headDim, dim]
 * @param wo       [dim, numHeads * headDim]
 * @param bq       [numHeads * headDim] or null (qwen2)
 * @param bk       [numKvHeads * headDim] or null
 * @param bv       [numKvHeads * headDim] or null
 * @param qNorm    [headDim] or null (qwen3 per-head RMSNorm of q)
 * @param kNorm    [headDim] or null
 * @param ffnNorm  [dim]
 * @param wGate    [ffnDim, dim]
 * @param wUp      [ffnDim, dim]
 * @param wDown    [dim, ffnDim]
 */
public record LayerWeights(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                           float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                           float[] ffnNorm, WeightMatrix wGate, WeightMatrix wUp, WeightMatrix wDown) {
}
