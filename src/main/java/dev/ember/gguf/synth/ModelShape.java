package dev.ember.gguf.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hyperparameters of a synthetic model. Every preset ties its embeddings (no {@code output.weight}: the LM head
 * is {@code token_embd.weight}); the vocabulary size is whatever the copied vocab file holds.
 *
 * @param vocabFile the llama.cpp vocab-only GGUF (under fixtures/tokenizer/) whose tokenizer.* keys are copied
 */
public record ModelShape(String name, String arch, int dim, int layers, int heads, int kvHeads, int headDim, int ffn,
                         int contextLength, float ropeTheta, float rmsEps, boolean qkvBias, String vocabFile) {

    /** Llama-3.2-1B-like sizes with the Llama-2 SentencePiece vocab (32000 tokens). */
    public static final ModelShape LLAMA_1B = new ModelShape("llama-1b", "llama", 2048, 16, 32, 8, 64, 8192,
            2048, 10000f, 1e-5f, false, "ggml-vocab-llama-spm.gguf");
    /** Qwen2-0.5B sizes; its own vocab file is not in the fixtures, so it gets GPT-2's (50257 tokens). */
    public static final ModelShape QWEN2_0_5B = new ModelShape("qwen2-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864,
            32768, 1e6f, 1e-6f, true, "ggml-vocab-gpt-2.gguf");
    /** The fixtures' synth-llama-spm-256 shape. */
    public static final ModelShape TINY = new ModelShape("tiny", "llama", 256, 4, 8, 4, 32, 768,
            512, 10000f, 1e-5f, false, "ggml-vocab-llama-spm.gguf");

    public static final List<ModelShape> PRESETS = List.of(LLAMA_1B, QWEN2_0_5B, TINY);

    public static ModelShape byName(String name) {
        for (ModelShape s : PRESETS) if (s.name.equals(name.toLowerCase(Locale.ROOT))) return s;
        throw new IllegalArgumentException("unknown shape '" + name + "' (known: " + names() + ")");
    }

    public static String names() {
        return String.join(", ", PRESETS.stream().map(ModelShape::name).toList());
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * Every tensor in file order: token_embd, then per layer the attention and FFN tensors, then output_norm.
     * Shapes are ggml order, {@code [row length (input), rows (output)]}.
     */
    public List<TensorSpec> tensors(int vocabSize) {
        List<TensorSpec> t = new ArrayList<>();
        t.add(TensorSpec.matrix("token_embd.weight", -1, dim, vocabSize));          // [dim, vocab]
        for (int i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            t.add(TensorSpec.norm(p + "attn_norm.weight", i, dim));                 // [dim]
            t.add(TensorSpec.matrix(p + "attn_q.weight", i, dim, qDim()));          // [dim, heads·headDim]
            t.add(TensorSpec.matrix(p + "attn_k.weight", i, dim, kvDim()));         // [dim, kvHeads·headDim]
            t.add(TensorSpec.matrix(p + "attn_v.weight", i, dim, kvDim()));         // [dim, kvHeads·headDim]
            if (qkvBias) {
                t.add(TensorSpec.bias(p + "attn_q.bias", i, qDim()));               // [heads·headDim]
                t.add(TensorSpec.bias(p + "attn_k.bias", i, kvDim()));              // [kvHeads·headDim]
                t.add(TensorSpec.bias(p + "attn_v.bias", i, kvDim()));              // [kvHeads·headDim]
            }
            t.add(TensorSpec.matrix(p + "attn_output.weight", i, qDim(), dim));     // [heads·headDim, dim]
            t.add(TensorSpec.norm(p + "ffn_norm.weight", i, dim));                  // [dim]
            t.add(TensorSpec.matrix(p + "ffn_gate.weight", i, dim, ffn));           // [dim, ffn]
            t.add(TensorSpec.matrix(p + "ffn_up.weight", i, dim, ffn));             // [dim, ffn]
            t.add(TensorSpec.matrix(p + "ffn_down.weight", i, ffn, dim));           // [ffn, dim]
        }
        t.add(TensorSpec.norm("output_norm.weight", -1, dim));                      // [dim]
        return t;
    }
}
