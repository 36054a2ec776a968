package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0 (block_q5_0: fp16 d, uint32 qh holding bit 4 of element j at bit j, then 16 bytes of low nibbles laid out
 * as in Q4_0; x ≈ d·(q − 16)). llama-quantize falls back to it from Q4_K for rows that are not a multiple of 256.
 * Same arithmetic as ggml's quantize_row_q5_0_ref: m = the element of largest magnitude (sign kept),
 * d = m / −16, q = min(31, trunc(x/d + 16.5)).
 *
 * <p>Error bound per element: |x − d16·(q − 16)| ≤ |d| + 16·|d − d16| ≤ 1.008·|d| (the clamped case; unclamped
 * elements are within |d|/2 + 16·|d − d16|).
 */
public final class Q5_0Quantizer implements Quantizer {
    private static final int QK = 32;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.Q5_0, src, off, n, dst, dstOff);
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;          // block b: src[base .. base+32)
            long o = dstOff + 22L * b;        // 2 bytes d + 4 bytes qh + 16 bytes low nibbles
            float amax = 0, max = 0;
            for (int j = 0; j < QK; j++) {
                float v = src[base + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16f;
            float id = d != 0 ? 1f / d : 0f;
            Blocks.putF16(dst, o, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int lo = Math.min(31, (byte) (int) (src[base + j] * id + 16.5f));
                int hi = Math.min(31, (byte) (int) (src[base + j + QK / 2] * id + 16.5f));
                Blocks.putByte(dst, o + 6 + j, (lo & 0xF) | ((hi & 0xF) << 4));
                qh |= ((lo >> 4) & 1) << j;
                qh |= ((hi >> 4) & 1) << (j + QK / 2);
            }
            dst.set(Blocks.INT, o + 2, qh);
        }
    }
}
