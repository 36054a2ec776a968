package dev.ember.gguf.quant;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufTensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Q8_0, Q4_0 and Q5_0 follow ggml's reference arithmetic, so quantizing stories260K-f32's tensors must give the
 * bytes llama-quantize wrote into the fixtures' stories260K-q8_0/q4_0/q4_k_m files.
 */
class LlamaQuantizeParityTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static Path models() {
        return Path.of(System.getProperty("ember.fixtures", "../shared/fixtures")).resolve("models");
    }

    private static int compare(String quantizedFile, GgmlType type) {
        int compared = 0;
        try (GgufFile f32 = GgufFile.open(models().resolve("stories260K-f32.gguf"));
             GgufFile q = GgufFile.open(models().resolve(quantizedFile))) {
            for (GgufTensor t : q.tensors()) {
                if (t.type() != type) continue;
                GgufTensor src = f32.requireTensor(t.name());
                float[] x = new float[(int) src.elementCount()];       // [rows × rowLength]
                for (int i = 0; i < x.length; i++) x[i] = src.data().get(F32, 4L * i);
                MemorySegment mine = MemorySegment.ofArray(new byte[(int) t.data().byteSize()]);
                int n = t.rowLength();
                long rowBytes = type.bytesFor(n);
                for (long r = 0; r < t.rowCount(); r++) Quantizer.of(type).quantizeRow(x, (int) (r * n), n, mine, r * rowBytes);
                long mismatch = mine.mismatch(t.data());
                assertEquals(-1, mismatch, quantizedFile + " " + t + ": first differing byte " + mismatch);
                compared++;
            }
        }
        return compared;
    }

    @Test
    void q8_0MatchesLlamaQuantize() {
        assertTrue(compare("stories260K-q8_0.gguf", GgmlType.Q8_0) >= 30);
    }

    @Test
    void q4_0MatchesLlamaQuantize() {
        assertTrue(compare("stories260K-q4_0.gguf", GgmlType.Q4_0) >= 30);
    }

    @Test
    void q5_0MatchesLlamaQuantize() {
        // stories260K's Q4_K_M file is all fallbacks: 29 Q5_0 and 3 Q8_0 tensors.
        assertTrue(compare("stories260K-q4_k_m.gguf", GgmlType.Q5_0) >= 29);
        assertTrue(compare("stories260K-q4_k_m.gguf", GgmlType.Q8_0) >= 3);
    }
}
