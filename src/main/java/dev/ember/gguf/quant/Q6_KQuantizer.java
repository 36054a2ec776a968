package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K (block_q6_K, 256 elements in 16 sub-blocks of 16: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits),
 * 16 int8 scales, fp16 d; element x of sub-block i ≈ d·sc_i·(q − 32), q in 0..63). Within each half of 128
 * elements, element l+32k (l < 32, k < 4) keeps its low nibble in ql[l + 32·(k&1)] (low nibble for k < 2, high
 * for k ≥ 2) and its top 2 bits at bit 2k of qh[l].
 *
 * <p>Method (max-abs, not ggml's make_qx_quants search, so the bytes differ from llama-quantize's): a sub-block's
 * step is amax/31 so every element fits in −31..31; d = the smallest fp16 ≥ max step/127 and sc_i = ceil(step_i/d),
 * both rounded up so nothing is clamped. Every element is within half its decoded step: |x − x̂| ≤ d·sc_i/2
 * (up to float rounding).
 */
public final class Q6_KQuantizer implements Quantizer {
    private static final int QK = 256;
    private static final int SUB = 16;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.Q6_K, src, off, n, dst, dstOff);
        float[] step = new float[16];   // [16] step needed by sub-block i
        int[] sc = new int[16];         // [16] int8 scales (0..127 here)
        int[] q = new int[QK];          // [256] levels 0..63 (value + 32)
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;    // super-block b: src[base .. base+256)
            long o = dstOff + 210L * b; // ql 128, qh 64, scales 16, d 2
            float maxStep = 0;
            for (int i = 0; i < 16; i++) {
                float amax = 0;
                for (int l = 0; l < SUB; l++) amax = Math.max(amax, Math.abs(src[base + SUB * i + l]));
                step[i] = amax / 31f;
                maxStep = Math.max(maxStep, step[i]);
            }
            short dH = Blocks.f16AtLeast(maxStep / 127f);
            float d = Float.float16ToFloat(dH);
            for (int i = 0; i < 16; i++) {
                sc[i] = Blocks.ceilRatio(step[i], d, 127);
                float s = d * sc[i];          // the decoder's d·sc
                float inv = s > 0 ? 1f / s : 0f;
                for (int l = 0; l < SUB; l++) {
                    int v = Blocks.nearestInt(src[base + SUB * i + l] * inv);
                    q[SUB * i + l] = Math.max(-32, Math.min(31, v)) + 32;
                }
            }
            for (int half = 0; half < 2; half++) {
                int e = 128 * half;                // elements e .. e+128
                long ql = o + 64L * half;          // 64 ql bytes per half
                long qh = o + 128 + 32L * half;    // 32 qh bytes per half
                for (int l = 0; l < 32; l++) {
                    int q1 = q[e + l], q2 = q[e + l + 32], q3 = q[e + l + 64], q4 = q[e + l + 96];
                    Blocks.putByte(dst, ql + l, (q1 & 0xF) | ((q3 & 0xF) << 4));
                    Blocks.putByte(dst, ql + l + 32, (q2 & 0xF) | ((q4 & 0xF) << 4));
                    Blocks.putByte(dst, qh + l, (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
            for (int i = 0; i < 16; i++) Blocks.putByte(dst, o + 192 + i, sc[i]);
            dst.set(Blocks.SHORT, o + 208, dH);
        }
    }
}
