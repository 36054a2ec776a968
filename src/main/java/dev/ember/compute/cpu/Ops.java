package dev.ember.compute.cpu;

/**
 * Element-wise and row-wise transformer ops on float rows, following ggml's CPU arithmetic where it
 * changes results (double accumulation in RMSNorm and softmax sums, float rope angles).
 */
public final class Ops {
    private Ops() {}

    /** out[0..n) = x[0..n) / sqrt(mean(x²) + eps) * w[0..n); out may alias x. */
    public static void rmsNorm(float[] x, int xOff, float[] w, float[] out, int outOff, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            sum += (double) (v * v);
        }
        float mean = (float) (sum / n);
        float scale = 1.0f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) {
            // ggml scales first (rms_norm op), then multiplies by the weight (a separate mul op).
            out[outOff + i] = (x[xOff + i] * scale) * w[i];
        }
    }

    /** a[0..n) += b[0..n). */
    public static void add(float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) a[aOff + i] += b[bOff + i];
    }

    /**
     * gate[0..n) = silu(gate) * up, silu(x) = x / (1 + e^-x), as ggml_vec_swiglu_f32: ggml's vector exp on
     * full 8-lane chunks, libm's on the leftovers.
     */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int full = n - n % GgmlExp.LANES;
        for (int i = 0; i < full; i++) {
            gate[gOff + i] = GgmlExp.vsilu(gate[gOff + i]) * up[uOff + i];
        }
        for (int i = full; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = (g / (1.0f + GgmlExp.expf(-g))) * up[uOff + i];
        }
    }

    /**
     * In-place softmax of the attention scores x[off..off+n) after multiplying by {@code scale}, as ggml's
     * soft_max over a KV row padded to a multiple of 8 (masked cells add exact zeros): every score goes
     * through ggml's vector exp, each 8-lane chunk is summed in float in the AVX2 pairwise order, and
     * the chunk sums are added in double.
     */
    public static void softmax(float[] x, int off, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[off + i] * scale;
            x[off + i] = v;
            if (v > max) max = v;
        }
        double sum = 0;
        for (int c = 0; c < n; c += GgmlExp.LANES) {
            float l0 = expLane(x, off, c, n, max), l1 = expLane(x, off, c + 1, n, max);
            float l2 = expLane(x, off, c + 2, n, max), l3 = expLane(x, off, c + 3, n, max);
            float l4 = expLane(x, off, c + 4, n, max), l5 = expLane(x, off, c + 5, n, max);
            float l6 = expLane(x, off, c + 6, n, max), l7 = expLane(x, off, c + 7, n, max);
            // (hi128 + lo128), then movehl, then movehdup: ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))
            float a0 = l0 + l4, a1 = l1 + l5, a2 = l2 + l6, a3 = l3 + l7;
            sum += (double) ((a0 + a2) + (a1 + a3));
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** exp(x[i] - max) stored back into x, or 0 for a lane past the end (a masked cell). */
    private static float expLane(float[] x, int off, int i, int n, float max) {
        if (i >= n) return 0f;
        float e = GgmlExp.vexp(x[off + i] - max);
        x[off + i] = e;
        return e;
    }
}
