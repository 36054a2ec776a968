package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0 (block_q8_0: fp16 d, then 32 int8 q; x ≈ d·q). Same arithmetic as ggml's quantize_row_q8_0_ref, so the
 * bytes match llama-quantize's: d = amax/127 (float), q = roundf(x · (1/d)), d stored as fp16.
 *
 * <p>Error bound per element: |x − d16·q| ≤ d/2 + 127·|d − d16| ≤ 0.563·d, where d16 is the stored fp16 scale
 * (|d − d16| ≤ 2^-11·d while d is a normal half).
 */
public final class Q8_0Quantizer implements Quantizer {
    private static final int QK = 32;

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.Q8_0, src, off, n, dst, dstOff);
        for (int b = 0; b < n / QK; b++) {
            int base = off + b * QK;          // block b: src[base .. base+32)
            long o = dstOff + 34L * b;        // 2 bytes d + 32 bytes q
            float amax = 0;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[base + j]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            Blocks.putF16(dst, o, d);
            for (int j = 0; j < QK; j++) Blocks.putByte(dst, o + 2 + j, Blocks.roundf(src[base + j] * id));
        }
    }
}
