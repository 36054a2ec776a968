package dev.ember.compute.dsl.testkernels;

import static dev.ember.compute.dsl.KernelMath.f16ToF32;
import static dev.ember.compute.dsl.KernelMath.signed8;

import dev.ember.compute.dsl.U8Buffer;

/** Helpers over ggml block_q8_0 bytes: an f16 scale, then 32 int8 quants. */
final class Q8Blocks {
    static final int QK = 32;
    static final int BLOCK_BYTES = 2 + QK;

    private Q8Blocks() {}

    static float scale(U8Buffer q, int block) {
        int o = block * BLOCK_BYTES;
        return f16ToF32(q.get(o) | q.get(o + 1) << 8);
    }

    static float value(U8Buffer q, int block, int j) {
        return scale(q, block) * signed8(q.get(block * BLOCK_BYTES + 2 + j));
    }
}
