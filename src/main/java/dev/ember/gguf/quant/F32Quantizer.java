package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/** F32: a plain little-endian copy (exact). */
public final class F32Quantizer implements Quantizer {
    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Blocks.checkRow(GgmlType.F32, src, off, n, dst, dstOff);
        for (int i = 0; i < n; i++) dst.set(Blocks.FLOAT, dstOff + 4L * i, src[off + i]);
    }
}
