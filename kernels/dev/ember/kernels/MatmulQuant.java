package dev.ember.kernels;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.KernelMath;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U8Buffer;

/**
 * out = x · wᵀ with GGML-quantized weights and activations already quantized to the weight type's vec_dot_type
 * (Q8_0 for Q8_0/Q4_0 weights, Q8_K for Q4_K/Q6_K): integer dots per block, as ggml's vec_dot, scaled per block.
 *
 * <p>Q8_0 and Q4_0 reproduce ggml's AVX2 float order bit for bit (compute.cpu Q8_0Matrix / Q4_0Matrix): 8 float
 * accumulator lanes, lane k taking the exact int sum of elements 4k..4k+3 of every block as
 * acc_k = fma(float(sum_k), dw·dx, acc_k), block by block, then hsum_float_8. Q4_K and Q6_K sum their per-block dots
 * in a 64-item tree, which agrees with ggml to float rounding only.
 */
public final class MatmulQuant {
    private MatmulQuant() {}

    /** Items per work-group, a power of two (the tree reduction halves it). */
    static final int LOCAL = 64;
    /** ggml's AVX2 accumulator lanes for Q8_0 / Q4_0: one item per lane. */
    static final int LANES = 8;
    /** Output rows per work-group on the lane path: LOCAL / LANES. */
    static final int ROWS_PER_GROUP = 8;

    /**
     * w: [rows, cols] of {@code type} blocks (ggml id Q8_0, Q4_0, Q4_K or Q6_K), each row cols / blockSize blocks;
     * xq: [n, cols] as Q8_0 (34-byte blocks of 32) or Q8_K (292-byte blocks of 256) rows; out: [n, rows],
     * out[t, r] = Σ_blocks dot(w[r, block], xq[t, block]).
     *
     * <p>Q8_0 / Q4_0 (launch: groups (ceil(rows / 8), n)): item l of a group owns row 8·group + l / 8 and ggml lane
     * l % 8 through all blocks of the row; item l % 8 == 0 then adds the row's 8 lanes in hsum_float_8's order.
     * Q4_K / Q6_K (launch: groups (rows, n)): item l takes blocks l, l + 64, ... of row `group`, then a shared-memory
     * tree reduction adds the partial sums.
     */
    @Kernel(barrier = true)
    public static void matmul(KernelContext ctx, U8Buffer w, int type, U8Buffer xq, F32Buffer out, int rows, int cols, int n) {
        float[] partial = ctx.localFloats(LOCAL);   // [64] per-item sums (lane path: [8 rows, 8 lanes])
        int t = ctx.groupId(1);
        int l = ctx.localId(0);
        int blocks = cols / GgmlTypes.blockSize(type);
        int wBytes = GgmlTypes.typeSize(type);                          // bytes per weight block
        int xBytes = GgmlTypes.typeSize(GgmlTypes.dotType(type));       // bytes per activation block
        if (type == GgmlTypes.Q8_0 || type == GgmlTypes.Q4_0) {
            int r = ctx.groupId(0) * ROWS_PER_GROUP + l / LANES;
            int k = l % LANES;   // ggml lane: elements 4k..4k+3 of every block
            boolean live = r < rows && t < n;
            float acc = 0f;
            if (live) {
                int wo = r * blocks * wBytes;   // w[r, 0]
                int xo = t * blocks * xBytes;   // xq[t, 0]
                for (int b = 0; b < blocks; b++) {
                    int wb = wo + b * wBytes;
                    int xb = xo + b * xBytes;
                    int s = type == GgmlTypes.Q8_0 ? BlockQ8_0.laneSum(w, wb, xq, xb, k) : BlockQ4_0.laneSum(w, wb, xq, xb, k);
                    float d = BlockBytes.f16(w, wb) * BlockBytes.f16(xq, xb);
                    acc = KernelMath.fma((float) s, d, acc);
                }
            }
            partial[l] = acc;
            ctx.barrier();
            if (live && k == 0) {
                out.set(t * rows + r, GgmlReduce.hsum8(partial[l], partial[l + 1], partial[l + 2], partial[l + 3],
                        partial[l + 4], partial[l + 5], partial[l + 6], partial[l + 7]));
            }
        } else {
            int r = ctx.groupId(0);
            boolean live = r < rows && t < n;
            float sum = 0f;
            if (live) {
                int wo = r * blocks * wBytes;   // w[r, 0]
                int xo = t * blocks * xBytes;   // xq[t, 0]
                for (int b = l; b < blocks; b += LOCAL) {
                    int wb = wo + b * wBytes;
                    int xb = xo + b * xBytes;
                    if (type == GgmlTypes.Q4_K) sum += BlockQ4_K.dot(w, wb, xq, xb);
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
    }

    /**
     * Work-groups of 64 items: for Q8_0 / Q4_0 (ggml type id {@code type}) one group per 8 output rows and token, for
     * Q4_K / Q6_K one group per (output row, token).
     */
    public static Launch launch(int type, int rows, int n) {
        if (type == GgmlTypes.Q8_0 || type == GgmlTypes.Q4_0) return Launch.of((rows + ROWS_PER_GROUP - 1) / ROWS_PER_GROUP, n, LOCAL);
        return Launch.of(rows, n, LOCAL);
    }
}
