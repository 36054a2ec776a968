package dev.ember.compute.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import dev.ember.compute.cpu.WeightMatrix;
import dev.ember.compute.dsl.KernelRef;
import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import dev.ember.kernels.Embedding;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Embedding.gather against the CPU dequantization (WeightMatrix.dequantizeRow), bit for bit, for every table type;
 * repeated and out-of-order tokens, a dim that is not a multiple of the work-group size, and a sentinel row after
 * the output that the kernel must leave alone.
 */
class EmbeddingOpTest {
    private static final KernelRef GATHER = KernelRef.of(Embedding.class, "gather");
    private static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);

    @ParameterizedTest
    @MethodSource("dev.ember.compute.ops.TestBackends#names")
    void gathersDequantizedRowsBitForBit(String name) {
        Backend backend = TestBackends.get(name);
        Random rnd = new Random(7);
        int vocab = 11;
        int[] tokens = {3, 0, 10, 3, 7};   // [count]
        int count = tokens.length;
        for (GgmlType type : TYPES) {
            int dim = type.blockSize == 1 ? 70 : 3 * type.blockSize;
            float[] src = new float[vocab * dim];   // [vocab, dim]
            for (int i = 0; i < src.length; i++) src[i] = (float) (rnd.nextGaussian() * (1 + i / dim));
            MemorySegment table = TestWeights.encode(type, src, vocab, dim);   // [vocab, dim] of type
            WeightMatrix m = WeightMatrix.of(new GgufTensor("emb", type, new long[] {dim, vocab}, 0, table));

            float[] sentinel = new float[(count + 1) * dim];   // [count + 1, dim]: row count must stay NaN
            java.util.Arrays.fill(sentinel, Float.NaN);
            DeviceBuffer tb = DeviceIo.upload(backend, table);
            DeviceBuffer ib = DeviceIo.upload(backend, tokens);
            DeviceBuffer ob = DeviceIo.upload(backend, sentinel);
            backend.launch(GATHER, Embedding.launch(dim, count), tb, type.id, ib, ob, dim, count);
            float[] got = DeviceIo.floats(backend, ob, (count + 1) * dim);   // [count + 1, dim]
            tb.close();
            ib.close();
            ob.close();

            float[] want = new float[dim];   // [dim]
            for (int t = 0; t < count; t++) {
                m.dequantizeRow(tokens[t], want, 0);
                for (int c = 0; c < dim; c++) {
                    assertEquals(Float.floatToRawIntBits(want[c]), Float.floatToRawIntBits(got[t * dim + c]),
                            type + " token " + t + " element " + c + ": want " + want[c] + " got " + got[t * dim + c]);
                }
            }
            for (int c = 0; c < dim; c++) assertEquals(Float.NaN, got[count * dim + c], type + " wrote past the output");
        }
    }
}
