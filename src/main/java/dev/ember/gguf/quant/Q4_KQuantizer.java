package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K (block_q4_K, 256 elements in 8 sub-blocks of 32: fp16 d, fp16 dmin, 12 bytes packing a 6-bit scale sc and
 * 6-bit min m per sub-block, then 128 bytes where byte 32c+l holds element 64c+l (low nibble) and 64c+32+l (high
 * nibble); element x of sub-block j ≈ (d·sc_j)·q − (dmin·m_j), q in 0..15).
 *
 * <p>Method (min/max, not ggml's iterative search, so the bytes differ from llama-quantize's): per sub-block
 * lo = min(0, min x), hi = max x. The mins are quantized first, rounding up (dmin = the smallest fp16 ≥ max(−lo)/63,
 * m_j = ceil(−lo_j/dmin)); then each sub-block's step is the smallest that covers [−dmin·m_j, hi_j] with 16 levels,
 * also rounded up (d = the smallest fp16 ≥ max step/63, sc_j = ceil(step_j/d)). Rounding both up means no element
 * is ever clamped, so every element is within half its decoded step: |x − x̂| ≤ d·sc_j/2 (up to float rounding).
 */
public final class Q4_KQuantizer implements Quantizer {
    private static final int QK = 256;
    private static final int SUB = 32;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.Q4_K, src, off, n, dst, dstOff);
        float[] negMin = new float[8];  // [8] −lo_j >= 0
        float[] hi = new float[8];      // [8] max of sub-block j
        float[] step = new float[8];    // [8] step needed to cover sub-block j
        int[] sc = new int[8];          // [8] 6-bit scales
        int[] mq = new int[8];          // [8] 6-bit mins
        int[] q = new int[QK];          // [256] 4-bit levels
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;    // super-block b: src[base .. base+256)
            long o = dstOff + 144L * b; // d, dmin (4 bytes), scales (12), qs (128)
            float maxNegMin = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0, h = Float.NEGATIVE_INFINITY;
                for (int l = 0; l < SUB; l++) {
                    float v = src[base + SUB * j + l];
                    lo = Math.min(lo, v);
                    h = Math.max(h, v);
                }
                negMin[j] = -lo;
                hi[j] = h;
                maxNegMin = Math.max(maxNegMin, -lo);
            }
            short dminH = Blocks.f16AtLeast(maxNegMin / 63f);
            float dmin = Float.float16ToFloat(dminH);
            float maxStep = 0;
            for (int j = 0; j < 8; j++) {
                mq[j] = Blocks.ceilRatio(negMin[j], dmin, 63);
                step[j] = Math.max(0f, (hi[j] + dmin * mq[j]) / 15f);
                maxStep = Math.max(maxStep, step[j]);
            }
            short dH = Blocks.f16AtLeast(maxStep / 63f);
            float d = Float.float16ToFloat(dH);
            for (int j = 0; j < 8; j++) sc[j] = Blocks.ceilRatio(step[j], d, 63);

            dst.set(Blocks.SHORT, o, dH);
            dst.set(Blocks.SHORT, o + 2, dminH);
            packScales(sc, mq, dst, o + 4);

            for (int j = 0; j < 8; j++) {
                float s = d * sc[j];          // the decoder's d1
                float m = dmin * mq[j];       // the decoder's m1
                float inv = s > 0 ? 1f / s : 0f;
                for (int l = 0; l < SUB; l++) {
                    int v = Blocks.nearestInt((src[base + SUB * j + l] + m) * inv);
                    q[SUB * j + l] = Math.max(0, Math.min(15, v));
                }
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    Blocks.putByte(dst, o + 16 + 32 * c + l, q[64 * c + l] | (q[64 * c + 32 + l] << 4));
                }
            }
        }
    }

    /**
     * ggml's 12-byte scale/min packing (the inverse of get_scale_min_k4): sub-blocks 0..3 keep their 6 bits in the
     * low bits of bytes j (scale) and j+4 (min); sub-blocks 4..7 put their low 4 bits in byte j+4 (scale low nibble,
     * min high nibble) and their top 2 bits in the top bits of bytes j−4 (scale) and j (min).
     */
    static void packScales(int[] sc, int[] m, MemorySegment dst, long at) {
        int[] s = new int[12];  // [12] packed bytes
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                s[j] |= sc[j];
                s[j + 4] |= m[j];
            } else {
                s[j + 4] = (sc[j] & 0xF) | ((m[j] & 0xF) << 4);
                s[j - 4] |= (sc[j] >> 4) << 6;
                s[j] |= (m[j] >> 4) << 6;
            }
        }
        for (int i = 0; i < 12; i++) Blocks.putByte(dst, at + i, s[i]);
    }
}
