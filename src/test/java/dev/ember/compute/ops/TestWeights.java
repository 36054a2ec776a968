package dev.ember.compute.ops;

import dev.ember.compute.cpu.Half;
import dev.ember.gguf.GgmlType;
import dev.ember.gguf.quant.Quantizer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Test weight tables in GGML encodings, made from float rows by the project's own encoders. */
final class TestWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private TestWeights() {}

    /** src [rows, cols] encoded row by row as {@code type}: the project's quantizers, or ggml's bf16 rounding. */
    static MemorySegment encode(GgmlType type, float[] src, int rows, int cols) {
        long rowBytes = type.bytesFor(cols);
        MemorySegment out = MemorySegment.ofArray(new byte[(int) (rowBytes * rows)]);
        for (int r = 0; r < rows; r++) {
            if (type == GgmlType.BF16) {
                for (int c = 0; c < cols; c++) {
                    out.set(I16, r * rowBytes + 2L * c, Half.floatToBf16(src[r * cols + c]));
                }
            } else {
                Quantizer.of(type).quantizeRow(src, r * cols, cols, out, r * rowBytes);
            }
        }
        return out;
    }
}
