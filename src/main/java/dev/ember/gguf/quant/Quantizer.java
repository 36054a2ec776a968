package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Turns float rows into ggml blocks of one {@link GgmlType}, byte for byte in ggml's layout (ggml-common.h), so
 * llama.cpp reads them. Implementations are stateless and safe to share between threads.
 */
public interface Quantizer {

    GgmlType type();

    /**
     * Encodes {@code src[off .. off+n)} as {@code n / type().blockSize} blocks written at {@code dst[dstOff ..)},
     * {@code type().bytesFor(n)} bytes in all. {@code n} must be a multiple of the block size.
     */
    void quantizeRow(float[] src, int off, int n, MemorySegment dst, long dstOff);

    /** The quantizer for {@code type}. */
    static Quantizer of(GgmlType type) {
        return switch (type) {
            case F32 -> new F32Quantizer();
            case F16 -> new F16Quantizer();
            case Q8_0 -> new Q8_0Quantizer();
            case Q4_0 -> new Q4_0Quantizer();
            case Q5_0 -> new Q5_0Quantizer();
            case Q4_K -> new Q4_KQuantizer();
            case Q6_K -> new Q6_KQuantizer();
            default -> throw new IllegalArgumentException("no quantizer for " + type);
        };
    }
}
