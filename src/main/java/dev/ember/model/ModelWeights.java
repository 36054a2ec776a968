package dev.ember.model;

import dev.ember.compute.cpu.RepackCache;
import dev.ember.compute.cpu.WeightMatrix;
import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufFormatException;
import dev.ember.gguf.GgufTensor;

/**
 * All weights of a model, views over the mapped GGUF file (matrices are never copied here; the CPU runner reads Q4_0, Q4_K and
 * Q6_K matrices repacked, through {@code repackCache}).
 *
 * @param tokenEmbedding [vocab, dim]
 * @param outputNorm     [dim]
 * @param output         [vocab, dim]: output.weight, or the token embedding when tied
 * @param ropeFreqs      [ropeDims / 2] Llama 3 frequency factors, or null
 * @param layers         [numLayers]
 * @param repackCache    where the CPU runner's repacked copies of these matrices are kept ({@link RepackCache})
 */
public record ModelWeights(WeightMatrix tokenEmbedding, float[] outputNorm, WeightMatrix output, float[] ropeFreqs,
                           LayerWeights[] layers, RepackCache repackCache) {

    /** Every distinct matrix: the token embedding, the output matrix when it is not tied, and each layer's seven. */
    public java.util.List<WeightMatrix> matrices() {
        java.util.List<WeightMatrix> all = new java.util.ArrayList<>();
        all.add(tokenEmbedding);
        if (output != tokenEmbedding) all.add(output);
        for (LayerWeights l : layers) {
            all.addAll(java.util.List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.wGate(), l.wUp(), l.wDown()));
        }
        return all;
    }

    public static ModelWeights load(GgufFile f, ModelConfig c) {
        WeightMatrix embd = matrix(f, "token_embd.weight", c.vocabSize(), c.dim());
        WeightMatrix out = f.tensor("output.weight") != null ? matrix(f, "output.weight", c.vocabSize(), c.dim()) : embd;
        float[] ropeFreqs = f.tensor("rope_freqs.weight") != null ? vector(f, "rope_freqs.weight", c.ropeDims() / 2) : null;
        LayerWeights[] layers = new LayerWeights[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            layers[i] = new LayerWeights(
                    vector(f, p + "attn_norm.weight", c.dim()),
                    matrix(f, p + "attn_q.weight", c.qDim(), c.dim()),
                    matrix(f, p + "attn_k.weight", c.kvDim(), c.dim()),
                    matrix(f, p + "attn_v.weight", c.kvDim(), c.dim()),
                    matrix(f, p + "attn_output.weight", c.dim(), c.qDim()),
                    optionalVector(f, p + "attn_q.bias", c.qDim()),
                    optionalVector(f, p + "attn_k.bias", c.kvDim()),
                    optionalVector(f, p + "attn_v.bias", c.kvDim()),
                    optionalVector(f, p + "attn_q_norm.weight", c.headDim()),
                    optionalVector(f, p + "attn_k_norm.weight", c.headDim()),
                    vector(f, p + "ffn_norm.weight", c.dim()),
                    matrix(f, p + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    matrix(f, p + "ffn_up.weight", c.ffnDim(), c.dim()),
                    matrix(f, p + "ffn_down.weight", c.dim(), c.ffnDim()));
        }
        return new ModelWeights(embd, vector(f, "output_norm.weight", c.dim()), out, ropeFreqs, layers, RepackCache.configured(f));
    }

    private static WeightMatrix matrix(GgufFile f, String name, int rows, int cols) {
        GgufTensor t = f.requireTensor(name);
        if (t.shape().length != 2 || t.shape()[0] != cols || t.shape()[1] != rows) {
            throw new GgufFormatException(f.path() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + cols + ", " + rows + "]");
        }
        try {
            return WeightMatrix.of(t);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.path() + ": " + e.getMessage());
        }
    }

    private static float[] vector(GgufFile f, String name, int n) {
        GgufTensor t = f.requireTensor(name);
        if (t.elementCount() != n) {
            throw new GgufFormatException(f.path() + ": tensor '" + name + "' has " + t.elementCount() + " elements, expected " + n);
        }
        float[] v = new float[n];
        try {
            WeightMatrix.of(t).dequantizeRow(0, v, 0);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.path() + ": " + e.getMessage());
        }
        return v;
    }

    private static float[] optionalVector(GgufFile f, String name, int n) {
        return f.tensor(name) == null ? null : vector(f, name, n);
    }
}
