package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The 128-bit split dots (what machines with 128-bit vectors run: NEON, or {@code -XX:MaxVectorSize=16}) give exactly the
 * bits of the 256-bit AVX2-order {@code dot} for every row, the last one of an exactly sliced tensor included, over
 * single blocks, odd block counts and long rows. 128-bit species are compiled to vector instructions on this x86 JVM too,
 * so both widths run side by side here.
 */
class Dot128MatchesDotTest {

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void dot128EqualsDotBitForBit(GgmlType type) {
        Random rnd = new Random(77 + type.ordinal());
        int[] colsList = type.blockSize == 256 ? new int[] {256, 256 * 3, 256 * 9} : new int[] {32, 32 * 3, 32 * 37, 2048};
        for (int cols : colsList) {
            for (int rows : new int[] {1, 3, 7}) {
                WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
                SplitWeights q = (SplitWeights) m;
                GgmlType at = m.activationType();
                long rb = Activations.rowBytes(at, cols);
                int blocks = cols / type.blockSize;
                ActivationSplit split = q.activationSplit();
                for (int token = 0; token < 3; token++) {
                    MemorySegment xq = Arena.ofAuto().allocate(rb, 64);
                    Activations.quantize(at, Blocks.activations(cols, rnd), 0, cols, xq, 0);
                    MemorySegment ys = Arena.ofAuto().allocate(split.rowBytes(blocks), 64);
                    split.split(xq, 0, blocks, ys);
                    for (int r = 0; r < rows; r++) {
                        float want = m.dot(r, xq, 0);
                        float got = q.dotSplit128(r, ys, 0);
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                                type + " cols " + cols + " rows " + rows + " row " + r + ": " + want + " vs " + got);
                    }
                }
            }
        }
    }

    /** The four-token 128-bit form equals four single 128-bit dots, from any first token, with strided outputs. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void fourTokensEqualFourDots(GgmlType type) {
        Random rnd = new Random(91 + type.ordinal());
        int cols = type.blockSize == 256 ? 256 * 3 : 32 * 37, rows = 5, tokens = 6;
        WeightMatrix m = WeightMatrix.of(Blocks.tensor(type, rows, cols, Blocks.random(type, rows, cols, rnd)));
        SplitWeights q = (SplitWeights) m;
        GgmlType at = m.activationType();
        long rb = Activations.rowBytes(at, cols);
        int blocks = cols / type.blockSize;
        ActivationSplit split = q.activationSplit();
        long stride = split.rowBytes(blocks);
        MemorySegment ys = Arena.ofAuto().allocate(stride * tokens, 64);
        for (int t = 0; t < tokens; t++) {
            MemorySegment xq = Arena.ofAuto().allocate(rb, 64);
            Activations.quantize(at, Blocks.activations(cols, rnd), 0, cols, xq, 0);
            split.split(xq, 0, blocks, ys.asSlice(t * stride, stride));
        }
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t + 4 <= tokens; t++) {
                float[] out = new float[3 + 4 * 7];
                q.dotSplit4x128(r, ys, stride, t, out, 3, 7);
                for (int j = 0; j < 4; j++) {
                    float want = q.dotSplit128(r, ys, (t + j) * stride);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out[3 + 7 * j]),
                            type + " row " + r + " token " + (t + j));
                }
            }
        }
    }
}
