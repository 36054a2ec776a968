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

    /** gate[0..n) = silu(gate) * up, silu(x) = x / (1 + e^-x). */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = (g / (1.0f + (float) Math.exp(-g))) * up[uOff + i];
        }
    }

    /** In-place softmax of x[off..off+n) after multiplying by {@code scale}; returns nothing, sums in double as ggml. */
    public static void softmax(float[] x, int off, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[off + i] * scale;
            x[off + i] = v;
            if (v > max) max = v;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** Plain float dot product of two rows. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }
}
