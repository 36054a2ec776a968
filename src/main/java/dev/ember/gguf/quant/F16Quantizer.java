package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * F16: IEEE half, round to nearest even (ggml's GGML_FP32_TO_FP16). Error: at most half an fp16 ulp, i.e.
 * |x|·2^-11 for normal halves, 2^-25 in the subnormal range; values beyond 65504 become infinite.
 */
public final class F16Quantizer implements Quantizer {
    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.F16, src, off, n, dst, dstOff);
        for (int i = 0; i < n; i++) Blocks.putF16(dst, dstOff + 2L * i, src[off + i]);
    }
}
