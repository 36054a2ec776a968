package dev.ember.compute.cpu;

/**
 * Rotary position embedding as ggml computes it: angles built in float by repeated multiplication
 * (theta_p,i = p · base^(-2i/nDims) · freqScale / freqFactor_i), applied to adjacent pairs (NORM, llama)
 * or to pairs half a rotation apart (NEOX, qwen2/qwen3). Dimensions past nDims pass through.
 */
public final class Rope {
    private final int nDims;
    private final float thetaScale;
    private final float freqScale;
    private final float[] freqFactors; // [nDims / 2] or null (Llama 3 rope_freqs)
    private final boolean neox;

    public Rope(int nDims, float base, float freqScale, float[] freqFactors, boolean neox) {
        if (nDims % 2 != 0) throw new IllegalArgumentException("rope dimension count must be even, got " + nDims);
        if (freqFactors != null && freqFactors.length < nDims / 2) {
            throw new IllegalArgumentException("rope_freqs has " + freqFactors.length + " factors, need " + nDims / 2);
        }
        this.nDims = nDims;
        this.thetaScale = (float) Math.pow(base, -2.0f / nDims);
        this.freqScale = freqScale;
        this.freqFactors = freqFactors;
        this.neox = neox;
    }

    /** Fills cos/sin [off, off + nDims / 2) for position {@code pos}. */
    public void angles(int pos, float[] cos, float[] sin, int off) {
        float theta = pos;
        for (int i = 0; i < nDims / 2; i++) {
            float ff = freqFactors == null ? 1.0f : freqFactors[i];
            float t = freqScale * (theta / ff);
            cos[off + i] = (float) Math.cos(t);
            sin[off + i] = (float) Math.sin(t);
            theta *= thetaScale;
        }
    }

    /**
     * Rotates {@code heads} heads of {@code headDim} values each, x[off + h * headDim + d], in place, with the
     * angles cos/sin[csOff, csOff + nDims / 2) of one position.
     */
    public void apply(float[] x, int off, int heads, int headDim, float[] cos, float[] sin, int csOff) {
        int half = nDims / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = neox ? base + i : base + 2 * i;
                int b = neox ? base + i + half : base + 2 * i + 1;
                float x0 = x[a];
                float x1 = x[b];
                float c = cos[csOff + i];
                float s = sin[csOff + i];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }

    public int dims() {
        return nDims;
    }
}
