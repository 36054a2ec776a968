package dev.ember.model;

import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufTensor;
import dev.ember.gguf.Metadata;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A plain, obviously-correct llama-family forward pass in double precision, written from the model
 * definition and sharing no code with {@link ModelRunner} (no Ops, Rope, Matmul or WeightMatrix): it reads
 * the GGUF metadata and F32/F16 tensors itself and runs every token of one sequence from position 0.
 * Slow on purpose (loops over double[][]); meant for models of a few thousand weights per matrix.
 */
final class ReferenceTransformer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One block's weights; matrices are [rows][cols], y = W x. */
    private record Layer(double[] attnNorm,          // [dim]
                         double[][] wq,              // [heads * headDim][dim]
                         double[][] wk,              // [kvHeads * headDim][dim]
                         double[][] wv,              // [kvHeads * headDim][dim]
                         double[] bq, double[] bk, double[] bv, // [qDim], [kvDim], [kvDim] or null
                         double[] qNorm, double[] kNorm,        // [headDim] or null (qwen3)
                         double[][] wo,              // [dim][heads * headDim]
                         double[] ffnNorm,           // [dim]
                         double[][] gate, double[][] up, // [ffn][dim]
                         double[][] down) {}         // [dim][ffn]

    final int dim, heads, kvHeads, headDim, vocab, ropeDims;
    final double eps, ropeBase, freqScale;
    final boolean neox;
    private final double[] freqFactors; // [ropeDims / 2] or null
    private final double[][] embedding; // [vocab][dim]
    private final double[] outputNorm;  // [dim]
    private final double[][] lmHead;    // [vocab][dim]
    private final Layer[] layers;

    private ReferenceTransformer(GgufFile f) {
        Metadata md = f.metadata();
        String arch = md.getString("general.architecture");
        neox = switch (arch) {
            case "llama", "mistral" -> false; // adjacent pairs (2i, 2i+1)
            case "qwen2", "qwen3" -> true;    // pairs (i, i + ropeDims/2)
            default -> throw new IllegalArgumentException("reference has no architecture " + arch);
        };
        String p = arch + ".";
        dim = md.getInt(p + "embedding_length");
        heads = md.getInt(p + "attention.head_count");
        kvHeads = md.getInt(p + "attention.head_count_kv", heads);
        headDim = md.getInt(p + "attention.key_length", dim / heads);
        ropeDims = md.getInt(p + "rope.dimension_count", headDim);
        eps = md.getFloat(p + "attention.layer_norm_rms_epsilon");
        ropeBase = md.getFloat(p + "rope.freq_base", 10000f);
        freqScale = "linear".equals(md.getString(p + "rope.scaling.type", "none"))
                ? 1.0 / md.getFloat(p + "rope.scaling.factor") : 1.0;
        embedding = matrix(f, "token_embd.weight");
        vocab = embedding.length;
        outputNorm = vector(f, "output_norm.weight");
        lmHead = f.tensor("output.weight") != null ? matrix(f, "output.weight") : embedding;
        freqFactors = f.tensor("rope_freqs.weight") != null ? vector(f, "rope_freqs.weight") : null;
        layers = new Layer[md.getInt(p + "block_count")];
        for (int l = 0; l < layers.length; l++) {
            String b = "blk." + l + ".";
            layers[l] = new Layer(vector(f, b + "attn_norm.weight"),
                    matrix(f, b + "attn_q.weight"), matrix(f, b + "attn_k.weight"), matrix(f, b + "attn_v.weight"),
                    optional(f, b + "attn_q.bias"), optional(f, b + "attn_k.bias"), optional(f, b + "attn_v.bias"),
                    optional(f, b + "attn_q_norm.weight"), optional(f, b + "attn_k_norm.weight"),
                    matrix(f, b + "attn_output.weight"), vector(f, b + "ffn_norm.weight"),
                    matrix(f, b + "ffn_gate.weight"), matrix(f, b + "ffn_up.weight"), matrix(f, b + "ffn_down.weight"));
        }
    }

    static ReferenceTransformer load(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            return new ReferenceTransformer(f);
        }
    }

    /** Logits of every position of {@code tokens} run as one sequence from position 0: [n][vocab]. */
    double[][] forward(int[] tokens) {
        int n = tokens.length;
        int qDim = heads * headDim, group = heads / kvHeads;
        double[][] x = new double[n][];                    // [n][dim] residual stream
        for (int i = 0; i < n; i++) x[i] = embedding[tokens[i]].clone();
        for (Layer lw : layers) {
            double[][] q = new double[n][], k = new double[n][], v = new double[n][]; // [n][qDim], [n][kvDim] x2
            for (int i = 0; i < n; i++) {
                double[] h = rmsNorm(x[i], 0, dim, lw.attnNorm);
                q[i] = add(matVec(lw.wq, h), lw.bq);
                k[i] = add(matVec(lw.wk, h), lw.bk);
                v[i] = add(matVec(lw.wv, h), lw.bv);
                for (int hh = 0; hh < heads; hh++) {
                    if (lw.qNorm != null) System.arraycopy(rmsNorm(q[i], hh * headDim, headDim, lw.qNorm), 0, q[i], hh * headDim, headDim);
                    rope(q[i], hh * headDim, i);
                }
                for (int hh = 0; hh < kvHeads; hh++) {
                    if (lw.kNorm != null) System.arraycopy(rmsNorm(k[i], hh * headDim, headDim, lw.kNorm), 0, k[i], hh * headDim, headDim);
                    rope(k[i], hh * headDim, i);
                }
            }
            for (int i = 0; i < n; i++) {
                double[] att = new double[qDim];           // [heads * headDim]
                for (int hh = 0; hh < heads; hh++) {
                    int qo = hh * headDim, ko = (hh / group) * headDim;
                    double[] s = new double[i + 1];        // causal: positions 0..i
                    double max = Double.NEGATIVE_INFINITY;
                    for (int t = 0; t <= i; t++) {
                        double d = 0;
                        for (int e = 0; e < headDim; e++) d += q[i][qo + e] * k[t][ko + e];
                        s[t] = d / Math.sqrt(headDim);
                        max = Math.max(max, s[t]);
                    }
                    double sum = 0;
                    for (int t = 0; t <= i; t++) sum += s[t] = Math.exp(s[t] - max);
                    for (int t = 0; t <= i; t++) {
                        for (int e = 0; e < headDim; e++) att[qo + e] += s[t] / sum * v[t][ko + e];
                    }
                }
                double[] o = matVec(lw.wo, att);
                for (int e = 0; e < dim; e++) x[i][e] += o[e];
                double[] h = rmsNorm(x[i], 0, dim, lw.ffnNorm);
                double[] g = matVec(lw.gate, h), u = matVec(lw.up, h); // [ffn]
                for (int e = 0; e < g.length; e++) g[e] = g[e] / (1 + Math.exp(-g[e])) * u[e];
                double[] d = matVec(lw.down, g);
                for (int e = 0; e < dim; e++) x[i][e] += d[e];
            }
        }
        double[][] logits = new double[n][];
        for (int i = 0; i < n; i++) logits[i] = matVec(lmHead, rmsNorm(x[i], 0, dim, outputNorm));
        return logits;
    }

    /** Rotates one head at a[off..off+headDim) for position pos; dims ≥ ropeDims stay as they are. */
    private void rope(double[] a, int off, int pos) {
        int half = ropeDims / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos * Math.pow(ropeBase, -2.0 * i / ropeDims) * freqScale
                    / (freqFactors == null ? 1.0 : freqFactors[i]);
            int j0 = neox ? off + i : off + 2 * i;
            int j1 = neox ? off + i + half : off + 2 * i + 1;
            double x0 = a[j0], x1 = a[j1];
            a[j0] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
            a[j1] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
        }
    }

    /** x[off..off+n) / sqrt(mean(x²) + eps) · w. */
    private double[] rmsNorm(double[] x, int off, int n, double[] w) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += x[off + i] * x[off + i];
        double inv = 1 / Math.sqrt(ss / n + eps);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = x[off + i] * inv * w[i];
        return out;
    }

    private static double[] matVec(double[][] w, double[] x) {
        double[] y = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double s = 0;
            for (int c = 0; c < x.length; c++) s += w[r][c] * x[c];
            y[r] = s;
        }
        return y;
    }

    private static double[] add(double[] a, double[] bias) {
        if (bias != null) for (int i = 0; i < a.length; i++) a[i] += bias[i];
        return a;
    }

    /** A 2-D tensor of ggml shape [cols, rows] as [rows][cols]. */
    private static double[][] matrix(GgufFile f, String name) {
        GgufTensor t = f.requireTensor(name);
        int cols = (int) t.shape()[0], rows = (int) t.shape()[1];
        double[] flat = values(t);
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) System.arraycopy(flat, r * cols, m[r], 0, cols);
        return m;
    }

    private static double[] vector(GgufFile f, String name) {
        return values(f.requireTensor(name));
    }

    private static double[] optional(GgufFile f, String name) {
        return f.tensor(name) == null ? null : vector(f, name);
    }

    private static double[] values(GgufTensor t) {
        int n = Math.toIntExact(t.elementCount());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (t.type()) {
                case F32 -> t.data().get(F32, 4L * i);
                case F16 -> Float.float16ToFloat(t.data().get(F16, 2L * i));
                default -> throw new IllegalArgumentException(t.name() + ": reference reads F32 and F16 only, not " + t.type());
            };
        }
        return out;
    }
}
