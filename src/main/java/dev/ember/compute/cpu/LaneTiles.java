package dev.ember.compute.cpu;

/**
 * The loop every lane GEMM shares ({@link LaneGemm}, {@link Q4_KLaneGemm}, {@link Q6_KLaneGemm}): token tiles, weight rows
 * expanded in pairs into two slots, a 2-row × 4-token micro-kernel over each pair, single-token and single-row tails.
 */
final class LaneTiles {
    private LaneTiles() {}

    /**
     * Expanded activations of one token tile stay under this many bytes (a share of L3): each weight row pair streams the
     * tile once per 4 tokens and is expanded once per tile. Measured on the 2-core EPYC (KernelBench, Q4_0 2048x8192,
     * N=128): 4 MiB tiles (one expansion per row) 43 GFLOP/s, 512 KiB tiles (L2-sized, 8 per row) 31-39 GFLOP/s.
     */
    static final int TILE_BYTES = 4 * 1024 * 1024;

    /** The per-type half: weight rows expanded into slot 0 or 1, and the micro-kernels over the slots. */
    interface Kernel {
        /** Expands weight row {@code row} into slot {@code slot} (0 or 1). */
        void unpack(int row, int slot);

        /** Slots 0 and 1 × tokens t..t+3: {@code out[o + j * rows + i]} for slot i, token t + j. */
        void pair4(int t, float[] out, int o, int rows);

        /** Slot {@code slot} × token t. */
        float single(int slot, int t);
    }

    /**
     * {@code out[outOff + t * rows + r]} for r in {@code [rowFrom, rowTo)}, t < n; {@code tokenBytes} is the size of one
     * token's expanded activations (it sets the tile).
     */
    static void run(Kernel k, int rowFrom, int rowTo, int rows, int n, long tokenBytes, float[] out, int outOff) {
        int tile = (int) Math.max(4, Math.min(n, TILE_BYTES / tokenBytes) & ~3);
        for (int t0 = 0; t0 < n; t0 += tile) {
            int t1 = Math.min(n, t0 + tile);
            int r = rowFrom;
            for (; r + 2 <= rowTo; r += 2) {
                k.unpack(r, 0);
                k.unpack(r + 1, 1);
                int t = t0;
                for (; t + 4 <= t1; t += 4) k.pair4(t, out, outOff + t * rows + r, rows);
                for (; t < t1; t++) {
                    out[outOff + t * rows + r] = k.single(0, t);
                    out[outOff + t * rows + r + 1] = k.single(1, t);
                }
            }
            if (r < rowTo) {
                k.unpack(r, 0);
                for (int t = t0; t < t1; t++) out[outOff + t * rows + r] = k.single(0, t);
            }
        }
    }
}
