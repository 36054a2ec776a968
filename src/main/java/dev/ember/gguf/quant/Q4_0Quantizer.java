package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0 (block_q4_0: fp16 d, then 16 bytes; byte j holds element j in its low nibble and element j+16 in its high
 * nibble; x ≈ d·(q − 8)). Same arithmetic as ggml's quantize_row_q4_0_ref, so the bytes match llama-quantize's:
 * m = the element of largest magnitude (sign kept), d = m / −8, q = min(15, trunc(x/d + 8.5)). The extreme element
 * maps exactly to q = 0; elements of the other sign near |m| are clamped to q = 15.
 *
 * <p>Error bound per element: |x − d16·(q − 8)| ≤ |d| + 8·|d − d16| ≤ 1.004·|d| = |m|/7.97 (the clamped case;
 * unclamped elements are within |d|/2 + 8·|d − d16|), d16 being the stored fp16 scale.
 */
public final class Q4_0Quantizer implements Quantizer {
    private static final int QK = 32;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.Q4_0, src, off, n, dst, dstOff);
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;          // block b: src[base .. base+32)
            long o = dstOff + 18L * b;        // 2 bytes d + 16 bytes of nibble pairs
            float amax = 0, max = 0;
            for (int j = 0; j < QK; j++) {
                float v = src[base + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            Blocks.putF16(dst, o, d);
            for (int j = 0; j < QK / 2; j++) {
                int lo = Math.min(15, (byte) (int) (src[base + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (int) (src[base + j + QK / 2] * id + 8.5f));
                Blocks.putByte(dst, o + 2 + j, lo | (hi << 4));
            }
        }
    }
}
