package dev.ember.compute.cpu;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector building blocks that reproduce the lane layout of ggml's x86 AVX2 kernels.
 *
 * <p>The species are fixed at 256 and 128 bits on purpose: ggml's AVX2 dot products keep 8 float accumulator lanes, lane k
 * holding the products of elements 4k..4k+3 of every 32-element group (maddubs + madd), and reduce them in a fixed order.
 * Using the same lanes here gives bit-identical sums to the llama.cpp build the fixtures came from, on any x86 with at least
 * AVX2 (a wider preferred species, e.g. AVX-512, would change the float summation order). Where the preferred species is
 * 128 bits wide the {@link SplitWeights} types run 128-bit forms of their dots (the same lanes as two halves, see
 * {@link #NARROW}); everything else falls back to {@link ReferenceDot} and scalar loops.
 *
 * <p>Bytes are multiplied in 16-bit lanes: a 16-bit lane holds two adjacent bytes, even element low, odd element high
 * (signed even byte = (s << 8) >> 8, odd = s >> 8). Every product pair fits in a short (|int8 * int8| pairs ≤ 2·127·127 for
 * quantizer output, smaller for nibbles); reinterpreting the shorts as ints and adding the two halves
 * ((i << 16) >> 16) + (i >> 16) gives int lane k = elements 4k..4k+3, i.e. ggml's maddubs + madd lane sums.
 *
 * <p>The vector expressions are written out in each kernel instead of being shared through helper methods on purpose:
 * a shared helper gets compiled on its own, is then "already compiled into a big method" for C2, is not inlined, and
 * every vector crossing the call is boxed on the heap (measured: 5-10x slower). Only scalar helpers live here, and the
 * kernels' epilogues extract their accumulators' lanes themselves (a boxed accumulator per output cost a four-token
 * split dot 10-20% at 2048 columns, KernelBench N=16). Two more
 * C2 limits shape the kernels: a vector that stays live across an inner loop (an accumulator of the outer loop) is boxed
 * as well, so the lane GEMMs keep such accumulators in small arrays; and a kernel method must stay well inside C2's
 * inlining node budget (NodeCountInliningCutoff, not adjustable in product JVMs), or a recompile after a deoptimization
 * stops inlining its Vector API calls and the kernel allocates on every operation (seen as an intermittent 2x slower
 * decode with the unrolled Q4_K dot).
 */
final class Lanes {
    private Lanes() {}

    static final VectorSpecies<Short> S16x16 = ShortVector.SPECIES_256;
    static final VectorSpecies<Short> S16x8 = ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> I32x8 = IntVector.SPECIES_256;
    static final VectorSpecies<Integer> I32x4 = IntVector.SPECIES_128;
    static final VectorSpecies<Float> F32x8 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> F32x4 = FloatVector.SPECIES_128;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** True when the Vector API paths should run: the machine prefers at least 256-bit vectors and nobody disabled them. */
    static final boolean ENABLED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            && !Boolean.getBoolean("ember.vector.disable");

    /**
     * True when the machine's vectors are 128 bits wide (NEON on Apple silicon, Graviton 2 / 4 and Ampere; x86 with
     * {@code -XX:MaxVectorSize=16}): the {@link SplitWeights} types then run their 128-bit dots, which keep the same eight
     * ggml lanes as two 4-lane halves (same bits as the 256-bit kernels), so do the attention products ({@link GgmlDot}),
     * and the other weight types run the scalar fallback.
     */
    static final boolean NARROW = !ENABLED && FloatVector.SPECIES_PREFERRED.vectorBitSize() == 128
            && !Boolean.getBoolean("ember.vector.disable");

    /** Int lanes 4..7 of an 8-lane vector: the upper 128-bit half, where ggml's per-16-element scales switch. */
    static final VectorMask<Integer> UPPER_HALF = VectorMask.fromLong(I32x8, 0xF0L);

    /** Int lanes 0..3 repeated: [0,1,2,3,0,1,2,3] (vpermd), puts a 128-bit half in both halves of an 8-lane vector. */
    static final VectorShuffle<Integer> DUP_LO = VectorShuffle.fromValues(I32x8, 0, 1, 2, 3, 0, 1, 2, 3);
    /** Int lanes 4..7 repeated: [4,5,6,7,4,5,6,7]. */
    static final VectorShuffle<Integer> DUP_HI = VectorShuffle.fromValues(I32x8, 4, 5, 6, 7, 4, 5, 6, 7);
    /** Per-lane shift counts [0,0,0,0,4,4,4,4] (vpsrlvd): low nibbles in lanes 0..3, high nibbles in lanes 4..7. */
    static final IntVector NIBBLE_SHIFT = IntVector.fromArray(I32x8, new int[] {0, 0, 0, 0, 4, 4, 4, 4}, 0);

    /** ggml hsum_float_8 on lanes already extracted: r[k] = x[k+4] + x[k]; then (r0 + r2) + (r1 + r3). */
    static float hsum8(float x0, float x1, float x2, float x3, float x4, float x5, float x6, float x7) {
        float r0 = x4 + x0, r1 = x5 + x1, r2 = x6 + x2, r3 = x7 + x3;
        return (r0 + r2) + (r1 + r3);
    }

    /** {@link #hsum8} of the eight floats at {@code a[off..]} (an accumulator the lane GEMMs keep in an array). */
    static float hsum8(float[] a, int off) {
        return hsum8(a[off], a[off + 1], a[off + 2], a[off + 3], a[off + 4], a[off + 5], a[off + 6], a[off + 7]);
    }

    /** ggml GGML_F32x8_REDUCE's final step on a vector already summed as (s0+s2)+(s1+s3): t[k] = a[k] + a[k+4], (t0+t1)+(t2+t3). */
    static float reduce8(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7) {
        float t0 = a0 + a4, t1 = a1 + a5, t2 = a2 + a6, t3 = a3 + a7;
        return (t0 + t1) + (t2 + t3);
    }
}
