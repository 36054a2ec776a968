package dev.ember.model;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufValue;
import dev.ember.gguf.GgufWriter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a tiny random-weight F32 GGUF model of a llama-family architecture, with a small SentencePiece
 * vocabulary so that {@link Model#load} accepts it. Every tensor's values depend only on the seed and the
 * tensor's name, so two specs that differ in one feature share all their other weights.
 *
 * @param arch          general.architecture
 * @param dim           embedding width
 * @param layers        blocks
 * @param heads         query heads
 * @param kvHeads       key/value heads
 * @param headDim       width of one head; written as attention.key_length/value_length when not dim / heads
 * @param ffn           feed-forward width
 * @param vocab         vocabulary size (at least 4)
 * @param ropeDims      rope.dimension_count, or 0 to leave the key out (all of a head rotates)
 * @param ropeBase      rope.freq_base
 * @param qkNorm        write blk.N.attn_q_norm / attn_k_norm [headDim]
 * @param biases        write blk.N.attn_q/k/v.bias
 * @param ropeFreqs     write rope_freqs.weight [ropeDims / 2], factors in [1, 4)
 * @param scalingType   rope.scaling.type, or null to leave it out
 * @param scalingFactor rope.scaling.factor (written with scalingType)
 * @param tied          leave output.weight out (the LM head is token_embd)
 * @param seed          weight seed
 */
record TinyModelGguf(String arch, int dim, int layers, int heads, int kvHeads, int headDim, int ffn, int vocab,
                     int ropeDims, float ropeBase, boolean qkNorm, boolean biases, boolean ropeFreqs,
                     String scalingType, float scalingFactor, boolean tied, long seed) {

    /** dim 64, 2 layers, 4 heads of 16, 2 KV heads, ffn 96, vocab 40, base 10000, untied, plain llama. */
    static TinyModelGguf llama() {
        return new TinyModelGguf("llama", 64, 2, 4, 2, 16, 96, 40, 0, 10000f, false, false, false, null, 1f, false, 42);
    }

    TinyModelGguf withArch(String a) {
        return new TinyModelGguf(a, dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDims, ropeBase, qkNorm, biases,
                ropeFreqs, scalingType, scalingFactor, tied, seed);
    }

    TinyModelGguf withHeadDim(int hd) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, hd, ffn, vocab, ropeDims, ropeBase, qkNorm, biases,
                ropeFreqs, scalingType, scalingFactor, tied, seed);
    }

    TinyModelGguf withRopeDims(int n) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, n, ropeBase, qkNorm, biases,
                ropeFreqs, scalingType, scalingFactor, tied, seed);
    }

    TinyModelGguf withQkNorm(boolean on) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDims, ropeBase, on, biases,
                ropeFreqs, scalingType, scalingFactor, tied, seed);
    }

    TinyModelGguf withBiases(boolean on) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDims, ropeBase, qkNorm, on,
                ropeFreqs, scalingType, scalingFactor, tied, seed);
    }

    TinyModelGguf withRopeFreqs(boolean on) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDims, ropeBase, qkNorm, biases,
                on, scalingType, scalingFactor, tied, seed);
    }

    TinyModelGguf withScaling(String type, float factor) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDims, ropeBase, qkNorm, biases,
                ropeFreqs, type, factor, tied, seed);
    }

    TinyModelGguf withTied(boolean on) {
        return new TinyModelGguf(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDims, ropeBase, qkNorm, biases,
                ropeFreqs, scalingType, scalingFactor, on, seed);
    }

    /** The rotated dims per head the file describes. */
    int effectiveRopeDims() {
        return ropeDims == 0 ? headDim : ropeDims;
    }

    /** Writes the model to {@code dir/name.gguf} and returns its path. */
    Path write(Path dir, String name) {
        return writer().write(dir.resolve(name + ".gguf"));
    }

    /** The writer with every key and tensor of this spec, for a test to alter before writing. */
    Builder writer() {
        return new Builder(this);
    }

    /** A GgufWriter filled from a spec; {@link #shape} lets a test override one tensor's shape. */
    static final class Builder {
        final GgufWriter w = new GgufWriter();
        private final TinyModelGguf s;
        private String bentTensor;
        private long[] bentShape;

        Builder(TinyModelGguf s) {
            this.s = s;
        }

        /** Writes {@code tensor} with {@code shape} instead of its right one (random data of the new size). */
        Builder shape(String tensor, long... shape) {
            bentTensor = tensor;
            bentShape = shape;
            return this;
        }

        Path write(Path path) {
            metadata();
            tensors();
            w.write(path);
            return path;
        }

        private void metadata() {
            String p = s.arch + ".";
            w.putMetadata("general.architecture", GgufValue.string(s.arch));
            w.putMetadata("general.name", GgufValue.string("tiny-" + s.arch));
            w.putMetadata(p + "context_length", GgufValue.uint32(64));
            w.putMetadata(p + "embedding_length", GgufValue.uint32(s.dim));
            w.putMetadata(p + "block_count", GgufValue.uint32(s.layers));
            w.putMetadata(p + "feed_forward_length", GgufValue.uint32(s.ffn));
            w.putMetadata(p + "attention.head_count", GgufValue.uint32(s.heads));
            w.putMetadata(p + "attention.head_count_kv", GgufValue.uint32(s.kvHeads));
            w.putMetadata(p + "attention.layer_norm_rms_epsilon", GgufValue.float32(1e-6f));
            w.putMetadata(p + "rope.freq_base", GgufValue.float32(s.ropeBase));
            if (s.headDim != s.dim / s.heads) {
                w.putMetadata(p + "attention.key_length", GgufValue.uint32(s.headDim));
                w.putMetadata(p + "attention.value_length", GgufValue.uint32(s.headDim));
            }
            if (s.ropeDims != 0) w.putMetadata(p + "rope.dimension_count", GgufValue.uint32(s.ropeDims));
            if (s.scalingType != null) {
                w.putMetadata(p + "rope.scaling.type", GgufValue.string(s.scalingType));
                w.putMetadata(p + "rope.scaling.factor", GgufValue.float32(s.scalingFactor));
            }
            // SentencePiece vocab: <unk>, <s>, </s>, then single letters and "▁"-words.
            String[] tokens = new String[s.vocab];
            float[] scores = new float[s.vocab];
            int[] types = new int[s.vocab];
            tokens[0] = "<unk>";
            tokens[1] = "<s>";
            tokens[2] = "</s>";
            types[0] = 2;
            types[1] = 3;
            types[2] = 3;
            for (int i = 3; i < s.vocab; i++) {
                tokens[i] = "\u2581w" + i;
                scores[i] = -i;
                types[i] = 1;
            }
            w.putMetadata("tokenizer.ggml.model", GgufValue.string("llama"));
            w.putMetadata("tokenizer.ggml.tokens", GgufValue.strings(tokens));
            w.putMetadata("tokenizer.ggml.scores", GgufValue.float32s(scores));
            w.putMetadata("tokenizer.ggml.token_type", GgufValue.int32s(types));
            w.putMetadata("tokenizer.ggml.unknown_token_id", GgufValue.uint32(0));
            w.putMetadata("tokenizer.ggml.bos_token_id", GgufValue.uint32(1));
            w.putMetadata("tokenizer.ggml.eos_token_id", GgufValue.uint32(2));
        }

        private void tensors() {
            int dim = s.dim, qDim = s.heads * s.headDim, kvDim = s.kvHeads * s.headDim;
            matrix("token_embd.weight", s.vocab, dim);                            // [vocab, dim]
            if (s.ropeFreqs) {
                vector("rope_freqs.weight", s.effectiveRopeDims() / 2, 1.0, 3.0); // [ropeDims / 2], factors 1..4
            }
            for (int l = 0; l < s.layers; l++) {
                String b = "blk." + l + ".";
                vector(b + "attn_norm.weight", dim, 0.7, 0.6);                   // [dim]
                matrix(b + "attn_q.weight", qDim, dim);                           // [qDim, dim]
                matrix(b + "attn_k.weight", kvDim, dim);                          // [kvDim, dim]
                matrix(b + "attn_v.weight", kvDim, dim);                          // [kvDim, dim]
                if (s.biases) {
                    vector(b + "attn_q.bias", qDim, -0.5, 1.0);                   // [qDim]
                    vector(b + "attn_k.bias", kvDim, -0.5, 1.0);                  // [kvDim]
                    vector(b + "attn_v.bias", kvDim, -0.5, 1.0);                  // [kvDim]
                }
                if (s.qkNorm) {
                    vector(b + "attn_q_norm.weight", s.headDim, 0.5, 1.5);        // [headDim]
                    vector(b + "attn_k_norm.weight", s.headDim, 0.5, 1.5);        // [headDim]
                }
                matrix(b + "attn_output.weight", dim, qDim);                      // [dim, qDim]
                vector(b + "ffn_norm.weight", dim, 0.7, 0.6);                    // [dim]
                matrix(b + "ffn_gate.weight", s.ffn, dim);                        // [ffn, dim]
                matrix(b + "ffn_up.weight", s.ffn, dim);                          // [ffn, dim]
                matrix(b + "ffn_down.weight", dim, s.ffn);                        // [dim, ffn]
            }
            vector("output_norm.weight", dim, 0.7, 0.6);                         // [dim]
            if (!s.tied) matrix("output.weight", s.vocab, dim);                   // [vocab, dim]
        }

        /** rows × cols, uniform in ±sqrt(3 / cols): outputs of unit-RMS inputs have about unit variance. */
        private void matrix(String name, int rows, int cols) {
            double a = Math.sqrt(3.0 / cols);
            add(name, new long[] {cols, rows}, -a, 2 * a);
        }

        /** n values uniform in [lo, lo + width). */
        private void vector(String name, int n, double lo, double width) {
            add(name, new long[] {n}, lo, width);
        }

        private void add(String name, long[] shape, double lo, double width) {
            if (name.equals(bentTensor)) shape = bentShape;
            long count = 1;
            for (long d : shape) count *= d;
            ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(count * 4)).order(ByteOrder.LITTLE_ENDIAN);
            SplittableRandom r = new SplittableRandom(s.seed * 1_000_003L + name.hashCode());
            for (long i = 0; i < count; i++) buf.putFloat((float) (lo + width * r.nextDouble()));
            buf.flip();
            w.addTensor(name, GgmlType.F32, shape, out -> {
                ByteBuffer b = buf.duplicate();
                while (b.hasRemaining()) out.write(b);
            });
        }
    }
}
