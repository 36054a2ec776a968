package dev.ember.model;

import dev.ember.gguf.GgufFormatException;
import dev.ember.gguf.Metadata;

import java.util.Set;

/**
 * Hyper-parameters of a decoder-only transformer, read from GGUF metadata ({@code <arch>.*} keys).
 *
 * @param arch          general.architecture (llama, mistral, qwen2, qwen3)
 * @param dim           embedding width
 * @param numLayers     transformer blocks
 * @param numHeads      query heads
 * @param numKvHeads    key/value heads (GQA when fewer than numHeads)
 * @param headDim       width of one head (attention.key_length, default dim / numHeads)
 * @param ffnDim        feed-forward hidden width
 * @param vocabSize     rows of the embedding / LM head
 * @param contextLength trained context length
 * @param rmsEps        RMSNorm epsilon
 * @param ropeDims      rotated dimensions per head (rope.dimension_count)
 * @param ropeBase      rope.freq_base
 * @param ropeFreqScale 1 / linear rope scaling factor
 * @param ropeNeox      true for NEOX-style rotation (pairs half a head apart), false for adjacent pairs
 */
public record ModelConfig(String arch, int dim, int numLayers, int numHeads, int numKvHeads, int headDim, int ffnDim,
                          int vocabSize, int contextLength, float rmsEps, int ropeDims, float ropeBase,
                          float ropeFreqScale, boolean ropeNeox) {

    /** Architectures this forward pass implements, and whether each rotates NEOX style. */
    private static final Set<String> NORM_ROPE = Set.of("llama", "mistral");
    private static final Set<String> NEOX_ROPE = Set.of("qwen2", "qwen3");

    public static ModelConfig fromGguf(Metadata md, int vocabFallback) {
        String arch = md.getString("general.architecture");
        if (!NORM_ROPE.contains(arch) && !NEOX_ROPE.contains(arch)) {
            throw new GgufFormatException(md.source() + ": architecture '" + arch + "' is not supported (supported: llama, mistral, qwen2, qwen3)");
        }
        String p = arch + ".";
        int dim = md.getInt(p + "embedding_length");
        int layers = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int kvHeads = md.getInt(p + "attention.head_count_kv", heads);
        int headDim = md.getInt(p + "attention.key_length", heads > 0 ? dim / heads : 0);
        int valueDim = md.getInt(p + "attention.value_length", headDim);
        int ffn = md.getInt(p + "feed_forward_length");
        int vocab = md.getInt(p + "vocab_size", vocabFallback);
        int ctx = md.getInt(p + "context_length", 2048);
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        int ropeDims = md.getInt(p + "rope.dimension_count", headDim);
        float base = md.getFloat(p + "rope.freq_base", 10000f);
        float freqScale = 1.0f;
        String scaling = md.getString(p + "rope.scaling.type", "none");
        switch (scaling) {
            case "none" -> { }
            case "linear" -> freqScale = 1.0f / md.getFloat(p + "rope.scaling.factor", 1.0f);
            default -> throw new GgufFormatException(md.source() + ": rope scaling type '" + scaling
                    + "' is not supported (none, linear, and Llama 3 rope_freqs are)");
        }
        if (md.has(p + "rope.scale_linear")) freqScale = 1.0f / md.getFloat(p + "rope.scale_linear");

        String src = md.source();
        check(src, dim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && ffn > 0 && headDim > 0 && vocab > 0,
                "non-positive model dimension (dim " + dim + ", layers " + layers + ", heads " + heads + ", kv heads "
                        + kvHeads + ", head dim " + headDim + ", ffn " + ffn + ", vocab " + vocab + ")");
        check(src, heads % kvHeads == 0, "head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        check(src, valueDim == headDim, "value_length " + valueDim + " differs from key_length " + headDim);
        check(src, ropeDims > 0 && ropeDims <= headDim && ropeDims % 2 == 0,
                "rope.dimension_count " + ropeDims + " must be even and at most the head dim " + headDim);
        check(src, ctx > 0, "context_length " + ctx + " must be positive");
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ctx, eps, ropeDims, base,
                freqScale, NEOX_ROPE.contains(arch));
    }

    private static void check(String src, boolean ok, String what) {
        if (!ok) throw new GgufFormatException(src + ": " + what);
    }

    /** Width of all query heads together. */
    public int qDim() {
        return numHeads * headDim;
    }

    /** Width of all key (or value) heads together. */
    public int kvDim() {
        return numKvHeads * headDim;
    }
}
