package dev.ember.compute.cpu;

/**
 * Where the records of a matrix repacked eight rows at a time ({@link Q4_0x8}, {@link Q4_Kx8}) lie: one record per
 * (group of eight rows g, block b), ordered by tile (blocks [tT, min(blocks, tT + T))), then group, then block. A tile of
 * all groups is one sequential stream of weights; the kernels walk a lane's groups one tile at a time so that the
 * activations of those T blocks stay in L1.
 *
 * @param groups      rows / 8
 * @param blocks      blocks per row
 * @param tile        T, blocks per tile
 * @param recordBytes bytes per record
 */
record GroupTiles(int groups, int blocks, int tile, int recordBytes) {

    /** Byte offset of the record of group g, block b. */
    long offset(int g, int b) {
        int t = b / tile;
        return ((long) t * tile * groups + (long) g * tileBlocks(t)) * recordBytes + (long) (b - t * tile) * recordBytes;
    }

    /** Blocks in tile t (T but for a shorter last tile). */
    int tileBlocks(int t) {
        return Math.min(tile, blocks - t * tile);
    }

    int tiles() {
        return (blocks + tile - 1) / tile;
    }

    long bytes() {
        return (long) groups * blocks * recordBytes;
    }
}
