package dev.ember.kernels;

/**
 * ggml's AVX2 horizontal sums, as {@code compute.cpu.Lanes} and {@code GgmlDot} compute them on the CPU: the kernels that
 * reproduce the CPU backend bit for bit add their lanes in exactly these orders.
 */
final class GgmlReduce {
    private GgmlReduce() {}

    /** hsum_float_8 of one 8-lane register: r_i = x[i + 4] + x[i], then (r0 + r2) + (r1 + r3). */
    static float hsum8(float x0, float x1, float x2, float x3, float x4, float x5, float x6, float x7) {
        float r0 = x4 + x0;
        float r1 = x5 + x1;
        float r2 = x6 + x2;
        float r3 = x7 + x3;
        return (r0 + r2) + (r1 + r3);
    }

    /** The last step of GGML_F32x8_REDUCE on one register: t_i = a[i] + a[i + 4], then (t0 + t1) + (t2 + t3). */
    static float reduce8(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7) {
        float t0 = a0 + a4;
        float t1 = a1 + a5;
        float t2 = a2 + a6;
        float t3 = a3 + a7;
        return (t0 + t1) + (t2 + t3);
    }

    /**
     * GGML_F32x8_REDUCE of four 8-lane accumulators acc[off + 8j + lane] (j = 0..3, 32 lanes in all): per lane
     * (a0 + a2) + (a1 + a3), then {@link #reduce8}; acc is work-group shared memory.
     */
    static float reduce32(float[] acc, int off) {
        return reduce8((acc[off] + acc[off + 16]) + (acc[off + 8] + acc[off + 24]),
                (acc[off + 1] + acc[off + 17]) + (acc[off + 9] + acc[off + 25]),
                (acc[off + 2] + acc[off + 18]) + (acc[off + 10] + acc[off + 26]),
                (acc[off + 3] + acc[off + 19]) + (acc[off + 11] + acc[off + 27]),
                (acc[off + 4] + acc[off + 20]) + (acc[off + 12] + acc[off + 28]),
                (acc[off + 5] + acc[off + 21]) + (acc[off + 13] + acc[off + 29]),
                (acc[off + 6] + acc[off + 22]) + (acc[off + 14] + acc[off + 30]),
                (acc[off + 7] + acc[off + 23]) + (acc[off + 15] + acc[off + 31]));
    }
}
