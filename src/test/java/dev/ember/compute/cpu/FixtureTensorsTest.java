package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Real tensors from the llama.cpp-made fixture models. */
class FixtureTensorsTest {

    static List<Path> models() throws IOException {
        try (Stream<Path> s = Files.list(Blocks.fixtures().resolve("models"))) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    static byte[] rowBytes(GgufTensor t, int row) {
        long rb = t.rowBytes();
        return t.data().asSlice(row * rb, rb).toArray(ValueLayout.JAVA_BYTE);
    }

    static int[] sampleRows(int rows) {
        return rows <= 8 ? java.util.stream.IntStream.range(0, rows).toArray()
                : new int[] {0, 1, rows / 3, rows / 2, rows - 2, rows - 1};
    }

    /** Every tensor of every fixture model: rows decode exactly as the test-side spec decoder says. */
    @Test
    void everyFixtureTensorDequantizesAsTheLayoutSpecSays() throws IOException {
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        for (Path p : models()) {
            try (GgufFile f = GgufFile.open(p)) {
                for (GgufTensor t : f.tensors()) {
                    WeightMatrix m = WeightMatrix.of(t);
                    seen.add(t.type());
                    float[] out = new float[m.cols()];
                    for (int r : sampleRows(m.rows())) {
                        m.dequantizeRow(r, out, 0);
                        assertArrayEquals(SpecDecode.row(t.type(), rowBytes(t, r), 0, m.cols()), out, 0f,
                                p.getFileName() + " " + t + " row " + r);
                    }
                }
            }
        }
        assertEquals(EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0,
                GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K), seen);
    }

    /**
     * stories260K-q8_0 was quantized from stories260K-f32 (quantize_row_q8_0_ref: q = round(x/d), d = amax/127 stored as
     * fp16), so each element is within half a step plus the fp16 rounding of d: |x - q*d16| <= d/2 + 127*|d - d16|
     * <= d16 * (0.5 + 127 * 2^-11 * 1.001) < 0.563 * d16.
     */
    @Test
    void q8_0TensorIsWithinHalfAStepOfTheF32Original() throws IOException {
        Path dir = Blocks.fixtures().resolve("models");
        try (GgufFile q = GgufFile.open(dir.resolve("stories260K-q8_0.gguf"));
             GgufFile f = GgufFile.open(dir.resolve("stories260K-f32.gguf"))) {
            int checked = 0;
            for (GgufTensor t : q.tensors()) {
                if (t.type() != GgmlType.Q8_0) continue;
                WeightMatrix mq = WeightMatrix.of(t), mf = WeightMatrix.of(f.requireTensor(t.name()));
                float[] a = new float[mq.cols()], b = new float[mq.cols()];
                for (int r = 0; r < mq.rows(); r++) {
                    mq.dequantizeRow(r, a, 0);
                    mf.dequantizeRow(r, b, 0);
                    byte[] raw = rowBytes(t, r);
                    for (int i = 0; i < a.length; i++) {
                        float d16 = SpecDecode.h(raw, 34 * (i / 32));
                        assertTrue(Math.abs(a[i] - b[i]) <= 0.563f * d16, t + " row " + r + " col " + i);
                    }
                }
                checked++;
            }
            assertEquals(32, checked);
        }
    }

    /**
     * End to end on one real tensor per type: dot(row, quantize(x)) equals the float dot of the dequantized row with the
     * dequantized activations to summation rounding (1e-5 of Σ|w·x|), and is within the activation quantization error
     * of the exact dot with x: Σ|w_i|·e_i, where e_i is at most 0.563·d16 for Q8_0 (see above), 0.5·|d|·(1 + 2^-20)
     * for Q8_K (float d), 2^-11·|x_i| for F16 and 0 for F32.
     */
    @Test
    void dotOfQuantizedActivationsMatchesDequantizedFloatMath() throws IOException {
        Random rnd = new Random(3);
        Set<GgmlType> done = EnumSet.noneOf(GgmlType.class);
        for (Path p : models()) {
            try (GgufFile f = GgufFile.open(p)) {
                for (GgufTensor t : f.tensors()) {
                    if (t.shape().length < 2 || !done.add(t.type())) continue;
                    WeightMatrix m = WeightMatrix.of(t);
                    GgmlType at = m.activationType();
                    float[] x = Blocks.activations(m.cols(), rnd);
                    MemorySegment xq = Blocks.quantize(at, x);
                    float[] xd = Blocks.dequantActivations(at, xq, m.cols());
                    float[] w = new float[m.cols()];
                    for (int r : sampleRows(m.rows())) {
                        m.dequantizeRow(r, w, 0);
                        double exact = 0, viaDeq = 0, mag = 0, qerr = 0;
                        for (int i = 0; i < w.length; i++) {
                            exact += (double) w[i] * x[i];
                            viaDeq += (double) w[i] * xd[i];
                            mag += Math.abs((double) w[i] * xd[i]);
                            qerr += Math.abs(w[i]) * activationErrorBound(at, xq, i, x[i]);
                        }
                        float dot = m.dot(r, xq, 0);
                        String what = p.getFileName() + " " + t + " row " + r;
                        assertEquals(viaDeq, dot, 1e-5 * mag, what);
                        assertEquals(exact, dot, qerr + 1e-5 * mag, what);
                    }
                }
            }
        }
        assertEquals(EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0,
                GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K), done);
    }

    static double activationErrorBound(GgmlType at, MemorySegment xq, int i, float x) {
        return switch (at) {
            case F32 -> 0;
            case F16 -> Math.abs(x) * 0x1p-11 + 0x1p-25;   // relative for normals, half an ulp of the smallest subnormal
            case Q8_0 -> 0.563 * Float.float16ToFloat(xq.get(Bytes.I16, 34L * (i / 32)));
            case Q8_K -> 0.5 * Math.abs(xq.get(Bytes.F32, 292L * (i / 256))) * (1 + 0x1p-20);
            default -> throw new IllegalArgumentException(at.toString());
        };
    }
}
