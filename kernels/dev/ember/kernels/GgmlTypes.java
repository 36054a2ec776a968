package dev.ember.kernels;

/**
 * The GGML type ids (as in GGUF files and {@code dev.ember.gguf.GgmlType}) the kernels read, with their block
 * geometry: a row of n elements is {@code n / blockSize(type)} blocks of {@code typeSize(type)} bytes.
 */
final class GgmlTypes {
    private GgmlTypes() {}

    static final int F32 = 0;
    static final int F16 = 1;
    static final int Q4_0 = 2;
    static final int Q8_0 = 8;
    static final int Q4_K = 12;
    static final int Q6_K = 14;
    static final int Q8_K = 15;
    static final int BF16 = 30;

    /** Elements per block of {@code type}: 1 for the float types, 32 for Q4_0/Q8_0, 256 for the K-quants. */
    static int blockSize(int type) {
        if (type == Q4_0 || type == Q8_0) return 32;
        if (type == Q4_K || type == Q6_K || type == Q8_K) return 256;
        return 1;
    }

    /** ggml's vec_dot_type of a quantized weight type: Q8_0 for 32-element blocks, Q8_K for 256-element superblocks. */
    static int dotType(int type) {
        return blockSize(type) == 32 ? Q8_0 : Q8_K;
    }

    /** Bytes per block of {@code type}; 0 for a type the kernels do not read. */
    static int typeSize(int type) {
        if (type == F32) return 4;
        if (type == F16 || type == BF16) return 2;
        if (type == Q4_0) return BlockQ4_0.BYTES;
        if (type == Q8_0) return BlockQ8_0.BYTES;
        if (type == Q4_K) return BlockQ4_K.BYTES;
        if (type == Q6_K) return BlockQ6_K.BYTES;
        if (type == Q8_K) return BlockQ8_K.BYTES;
        return 0;
    }
}
