package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U8Buffer;

/**
 * out = x · wᵀ with GGML-quantized weights and activations already quantized to the weight type's vec_dot_type
 * (Q8_0 for Q8_0/Q4_0 weights, Q8_K for Q4_K/Q6_K): integer dots per block, as ggml's vec_dot, scaled per block.
 */
public final class MatmulQuant {
    private MatmulQuant() {}

    /** Items per work-group, a power of two (the tree reduction halves it). */
    static final int LOCAL = 64;

    /**
     * w: [rows, cols] of {@code type} blocks (ggml id Q8_0, Q4_0, Q4_K or Q6_K), each row cols / blockSize blocks;
     * xq: [n, cols] as Q8_0 (34-byte blocks of 32) or Q8_K (292-byte blocks of 256) rows; out: [n, rows],
     * out[t, r] = Σ_blocks dot(w[r, block], xq[t, block]). One work-group per (r, t): item l takes blocks
     * l, l + 64, ... of the row, then a shared-memory tree reduction adds the partial sums.
     */
    @Kernel(barrier = true)
    public static void matmul(KernelContext ctx, U8Buffer w, int type, U8Buffer xq, F32Buffer out, int rows, int cols, int n) {
        float[] partial = ctx.localFloats(LOCAL);   // [64] per-item sums, reduced to partial[0]
        int r = ctx.groupId(0);
        int t = ctx.groupId(1);
        int l = ctx.localId(0);
        boolean live = r < rows && t < n;
        float sum = 0f;
        if (live) {
            int blocks = cols / GgmlTypes.blockSize(type);
            int wBytes = GgmlTypes.typeSize(type);                                       // bytes per weight block
            int xBytes = GgmlTypes.typeSize(GgmlTypes.dotType(type));                 // bytes per activation block
            int wo = r * blocks * wBytes;   // w[r, 0]
            int xo = t * blocks * xBytes;   // xq[t, 0]
            for (int b = l; b < blocks; b += LOCAL) {
                int wb = wo + b * wBytes;
                int xb = xo + b * xBytes;
                if (type == GgmlTypes.Q8_0) sum += BlockQ8_0.dot(w, wb, xq, xb);
                else if (type == GgmlTypes.Q4_0) sum += BlockQ4_0.dot(w, wb, xq, xb);
                else if (type == GgmlTypes.Q4_K) sum += BlockQ4_K.dot(w, wb, xq, xb);
                else if (type == GgmlTypes.Q6_K) sum += BlockQ6_K.dot(w, wb, xq, xb);
            }
        }
        partial[l] = sum;
        ctx.barrier();
        for (int s = LOCAL / 2; s > 0; s >>= 1) {
            if (l < s) partial[l] += partial[l + s];
            ctx.barrier();
        }
        if (live && l == 0) out.set(t * rows + r, partial[0]);
    }

    /** One work-group of 64 items per (output row, token). */
    public static Launch launch(int rows, int n) {
        return Launch.of(rows, n, LOCAL);
    }
}
