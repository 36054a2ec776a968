package dev.ember.gguf.synth;

import dev.ember.gguf.GgmlType;

import java.util.Locale;

/**
 * Which type each tensor gets, following llama-quantize's choices (llama-quant.cpp, no imatrix, no overrides)
 * for the tensors these models have:
 * <ul>
 * <li>1-D tensors (norms, biases) stay F32; F32/F16 files convert every matrix.</li>
 * <li>The LM head (token_embd, as every preset ties embeddings) gets Q6_K unless the base type is Q8_0, or Q8_0
 *     when its row length is not a multiple of the base type's block size.</li>
 * <li>Q4_K_M: attn_v and ffn_down take Q6_K in the layers where {@link #useMoreBits} holds.</li>
 * <li>A K-quant whose row length is not a multiple of 256 falls back: Q4_K → Q5_0, Q6_K → Q8_0
 *     (qwen2-0.5b's 896-wide rows).</li>
 * </ul>
 *
 * @param fileType llama.cpp's llama_ftype, written as general.file_type
 */
public enum QuantMix {
    F32("f32", GgmlType.F32, 0),
    F16("f16", GgmlType.F16, 1),
    Q8_0("q8_0", GgmlType.Q8_0, 7),
    Q4_0("q4_0", GgmlType.Q4_0, 2),
    Q4_K_M("q4_k_m", GgmlType.Q4_K, 15),
    Q6_K("q6_k", GgmlType.Q6_K, 18);

    public final String cliName;
    public final GgmlType base;
    public final int fileType;

    QuantMix(String cliName, GgmlType base, int fileType) {
        this.cliName = cliName;
        this.base = base;
        this.fileType = fileType;
    }

    public static QuantMix byName(String name) {
        for (QuantMix m : values()) if (m.cliName.equals(name.toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown quant '" + name + "' (known: " + names() + ")");
    }

    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (QuantMix m : values()) sb.append(sb.isEmpty() ? "" : ", ").append(m.cliName);
        return sb.toString();
    }

    public boolean quantized() {
        return this != F32 && this != F16;
    }

    /** The type of {@code t} in a model of {@code layers} layers. */
    public GgmlType typeFor(TensorSpec t, int layers) {
        if (t.shape().length < 2) return GgmlType.F32;
        if (!quantized()) return base;
        GgmlType type = base;
        int rowLength = t.rowLength();
        String role = t.role();
        if (role.equals("token_embd.weight") || role.equals("output.weight")) {
            if (rowLength % base.blockSize != 0) type = GgmlType.Q8_0;
            else if (base != GgmlType.Q8_0) type = GgmlType.Q6_K;
        } else if (this == Q4_K_M && (role.equals("attn_v.weight") || role.equals("ffn_down.weight"))
                && useMoreBits(t.layer(), layers)) {
            type = GgmlType.Q6_K;
        }
        return fallback(type, rowLength);
    }

    /** llama-quantize's use_more_bits: the first and last eighth of the layers, and every third one between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static GgmlType fallback(GgmlType type, int rowLength) {
        if (rowLength % type.blockSize == 0) return type;
        GgmlType f = switch (type) {
            case Q4_K -> GgmlType.Q5_0;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("no fallback for " + type + " with rows of " + rowLength);
        };
        return rowLength % f.blockSize == 0 ? f : GgmlType.F16;
    }
}
