package dev.ember.gguf.synth;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufTensor;
import dev.ember.gguf.GgufValue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writes the {@code tiny} model in every mix and reads it back. */
class SyntheticModelTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    static Path dir;
    static final Map<QuantMix, Path> TINY = new EnumMap<>(QuantMix.class);

    static Path fixtures() {
        return Path.of(System.getProperty("ember.fixtures", "../shared/fixtures"));
    }

    static Path vocab(ModelShape s) {
        return fixtures().resolve("tokenizer").resolve(s.vocabFile());
    }

    @BeforeAll
    static void writeTinyModels() {
        for (QuantMix m : QuantMix.values()) {
            Path p = dir.resolve("tiny-" + m.cliName + ".gguf");
            SyntheticModel.write(ModelShape.TINY, m, 1234, vocab(ModelShape.TINY), p);
            TINY.put(m, p);
        }
    }

    /** The fixture meta.json's tensor name → ggml type name (its JSON is regular enough for a pattern). */
    static Map<String, String> fixtureTypes(String metaJson) throws IOException {
        String json = Files.readString(fixtures().resolve("models").resolve(metaJson));
        Matcher m = Pattern.compile("\\{\\s*\"name\":\\s*\"([^\"]+)\",\\s*\"ggml_type\":\\s*\"([^\"]+)\"").matcher(json);
        Map<String, String> types = new LinkedHashMap<>();
        while (m.find()) types.put(m.group(1), m.group(2));
        return types;
    }

    @Test
    void tensorTypesMatchLlamaQuantizeOnTheFixtureShape() throws IOException {
        Map<QuantMix, String> meta = Map.of(QuantMix.F16, "synth-llama-spm-256-f16.meta.json",
                QuantMix.Q8_0, "synth-llama-spm-256-q8_0.meta.json", QuantMix.Q4_0, "synth-llama-spm-256-q4_0.meta.json",
                QuantMix.Q4_K_M, "synth-llama-spm-256-q4_k_m.meta.json", QuantMix.Q6_K, "synth-llama-spm-256-q6_k.meta.json");
        for (var e : meta.entrySet()) {
            Map<String, String> expected = fixtureTypes(e.getValue());
            assertEquals(38, expected.size(), e.getValue());
            try (GgufFile f = GgufFile.open(TINY.get(e.getKey()))) {
                Map<String, String> actual = new LinkedHashMap<>();
                for (GgufTensor t : f.tensors()) actual.put(t.name(), t.type().name());
                assertEquals(new java.util.TreeMap<>(expected), new java.util.TreeMap<>(actual), e.getKey().cliName);
            }
        }
    }

    @Test
    void shapesAndMetadataMatchThePreset() {
        ModelShape s = ModelShape.TINY;
        for (QuantMix m : QuantMix.values()) {
            try (GgufFile f = GgufFile.open(TINY.get(m))) {
                var md = f.metadata();
                assertEquals("llama", md.getString("general.architecture"));
                assertEquals("synth-tiny", md.getString("general.name"));
                assertTrue(md.getString("general.description").contains("SYNTHETIC"));
                assertTrue(md.getString("general.description").contains("seed 1234"));
                assertEquals(m.fileType, md.getInt("general.file_type"));
                assertEquals(2, md.getInt("general.quantization_version"));
                assertEquals(512, md.getInt("llama.context_length"));
                assertEquals(256, md.getInt("llama.embedding_length"));
                assertEquals(4, md.getInt("llama.block_count"));
                assertEquals(768, md.getInt("llama.feed_forward_length"));
                assertEquals(8, md.getInt("llama.attention.head_count"));
                assertEquals(4, md.getInt("llama.attention.head_count_kv"));
                assertEquals(32, md.getInt("llama.rope.dimension_count"));
                assertEquals(10000f, md.getFloat("llama.rope.freq_base"));
                assertEquals(1e-5f, md.getFloat("llama.attention.layer_norm_rms_epsilon"));
                assertEquals(32000, md.getInt("llama.vocab_size"));

                List<TensorSpec> specs = s.tensors(32000);
                assertEquals(specs.size(), f.tensors().size());
                assertNull(f.tensor("output.weight"), "embeddings are tied");
                for (TensorSpec t : specs) {
                    GgufTensor g = f.requireTensor(t.name());
                    assertArrayEquals(t.shape(), g.shape(), t.name());
                    assertEquals(m.typeFor(t, s.layers()), g.type(), t.name());
                }
                assertArrayEquals(new long[] {256, 32000}, f.requireTensor("token_embd.weight").shape());
                assertArrayEquals(new long[] {256, 128}, f.requireTensor("blk.0.attn_k.weight").shape());
                assertArrayEquals(new long[] {768, 256}, f.requireTensor("blk.3.ffn_down.weight").shape());
            }
        }
    }

    @Test
    void tokenizerKeysAreTheVocabFilesExactly() {
        try (GgufFile v = GgufFile.open(vocab(ModelShape.TINY)); GgufFile f = GgufFile.open(TINY.get(QuantMix.Q4_0))) {
            Map<String, GgufValue> expected = new LinkedHashMap<>(), actual = new LinkedHashMap<>();
            v.metadata().asMap().forEach((k, val) -> { if (k.startsWith("tokenizer.")) expected.put(k, val); });
            f.metadata().asMap().forEach((k, val) -> { if (k.startsWith("tokenizer.")) actual.put(k, val); });
            assertTrue(expected.size() >= 5);
            assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()));
            assertEquals(expected, actual);
        }
    }

    @Test
    void weightsAreNormalWithStddev002AndNormsAreOne() {
        try (GgufFile f = GgufFile.open(TINY.get(QuantMix.F32))) {
            GgufTensor t = f.requireTensor("blk.1.ffn_up.weight");
            long n = t.elementCount();
            double sum = 0, sq = 0;
            for (long i = 0; i < n; i++) {
                double x = t.data().get(F32, 4 * i);
                sum += x;
                sq += x * x;
            }
            double mean = sum / n, sd = Math.sqrt(sq / n - mean * mean);
            assertEquals(0, mean, 3e-4);
            assertEquals(0.02, sd, 3e-4);
            GgufTensor norm = f.requireTensor("blk.2.ffn_norm.weight");
            for (long i = 0; i < 256; i++) assertEquals(1f, norm.data().get(F32, 4 * i));
        }
    }

    @Test
    void quantizedFileHoldsTheSameValuesAsTheF32File() {
        // Same seed → same underlying values: the F16 file must be the F32 file rounded to half.
        try (GgufFile f32 = GgufFile.open(TINY.get(QuantMix.F32)); GgufFile f16 = GgufFile.open(TINY.get(QuantMix.F16))) {
            GgufTensor a = f32.requireTensor("blk.0.attn_q.weight"), b = f16.requireTensor("blk.0.attn_q.weight");
            ValueLayout.OfShort h = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < a.elementCount(); i++) {
                assertEquals(Float.floatToFloat16(a.data().get(F32, 4 * i)), b.data().get(h, 2 * i));
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalBytesAndAnotherSeedDoesNot() throws IOException {
        for (QuantMix m : List.of(QuantMix.Q4_K_M, QuantMix.Q8_0)) {
            Path again = dir.resolve("again-" + m.cliName + ".gguf");
            SyntheticModel.write(ModelShape.TINY, m, 1234, vocab(ModelShape.TINY), again);
            assertEquals(-1, Files.mismatch(TINY.get(m), again), m.cliName);
            Path other = dir.resolve("other-" + m.cliName + ".gguf");
            SyntheticModel.write(ModelShape.TINY, m, 1235, vocab(ModelShape.TINY), other);
            assertEquals(Files.size(again), Files.size(other));
            try (GgufFile a = GgufFile.open(again); GgufFile b = GgufFile.open(other)) {
                for (String name : List.of("token_embd.weight", "blk.0.attn_q.weight", "blk.3.ffn_down.weight")) {
                    assertNotEquals(-1, a.requireTensor(name).data().mismatch(b.requireTensor(name).data()), name);
                }
                assertEquals(-1, a.requireTensor("output_norm.weight").data().mismatch(b.requireTensor("output_norm.weight").data()));
            }
        }
    }

    @Test
    void tensorsDifferFromEachOther() {
        try (GgufFile f = GgufFile.open(TINY.get(QuantMix.Q8_0))) {
            GgufTensor a = f.requireTensor("blk.0.ffn_gate.weight"), b = f.requireTensor("blk.0.ffn_up.weight");
            assertNotEquals(-1, a.data().mismatch(b.data()));
        }
    }

    @Test
    void mixRulesForTheBiggerPresets() {
        // llama-1b (16 layers): use_more_bits picks layers 0, 1, 4, 7, 10, 13, 14, 15.
        List<Integer> more = new ArrayList<>();
        for (int i = 0; i < 16; i++) if (QuantMix.useMoreBits(i, 16)) more.add(i);
        assertEquals(List.of(0, 1, 4, 7, 10, 13, 14, 15), more);
        Map<String, GgmlType> llama = types(ModelShape.LLAMA_1B, QuantMix.Q4_K_M, 32000);
        assertEquals(GgmlType.Q6_K, llama.get("token_embd.weight"));
        assertEquals(GgmlType.Q6_K, llama.get("blk.4.attn_v.weight"));
        assertEquals(GgmlType.Q4_K, llama.get("blk.5.ffn_down.weight"));
        assertEquals(GgmlType.Q4_K, llama.get("blk.4.attn_q.weight"));
        assertEquals(GgmlType.F32, llama.get("blk.4.ffn_norm.weight"));
        assertEquals(GgmlType.Q6_K, types(ModelShape.LLAMA_1B, QuantMix.Q4_0, 32000).get("token_embd.weight"));
        assertEquals(GgmlType.Q8_0, types(ModelShape.LLAMA_1B, QuantMix.Q8_0, 32000).get("token_embd.weight"));

        // qwen2-0.5b: 896-wide rows are not a multiple of 256, so K-quants fall back as llama-quantize does.
        Map<String, GgmlType> qwen = types(ModelShape.QWEN2_0_5B, QuantMix.Q4_K_M, 50257);
        assertEquals(GgmlType.Q8_0, qwen.get("token_embd.weight"));
        assertEquals(GgmlType.Q5_0, qwen.get("blk.3.attn_q.weight"));
        assertEquals(GgmlType.Q5_0, qwen.get("blk.3.attn_v.weight"));
        assertEquals(GgmlType.Q8_0, qwen.get("blk.2.attn_v.weight"));   // Q6_K → Q8_0
        assertEquals(GgmlType.Q4_K, qwen.get("blk.3.ffn_down.weight")); // rows of 4864 = 19·256
        assertEquals(GgmlType.Q6_K, qwen.get("blk.2.ffn_down.weight"));
        assertEquals(GgmlType.F32, qwen.get("blk.0.attn_q.bias"));
        assertEquals(GgmlType.Q8_0, types(ModelShape.QWEN2_0_5B, QuantMix.Q6_K, 50257).get("blk.0.attn_q.weight"));
        assertEquals(GgmlType.Q8_0, types(ModelShape.QWEN2_0_5B, QuantMix.Q4_0, 50257).get("token_embd.weight"));
        assertEquals(24 * 12 + 2, ModelShape.QWEN2_0_5B.tensors(50257).size());
    }

    static Map<String, GgmlType> types(ModelShape s, QuantMix m, int vocab) {
        Map<String, GgmlType> out = new LinkedHashMap<>();
        for (TensorSpec t : s.tensors(vocab)) out.put(t.name(), m.typeFor(t, s.layers()));
        return out;
    }

    @Test
    void unknownNamesAreRejected() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ModelShape.byName("llama-70b"));
        assertTrue(e.getMessage().contains("llama-1b"));
        assertFalse(Arrays.stream(QuantMix.values()).anyMatch(m -> m.cliName.equals("q4_k_s")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> QuantMix.byName("q4_k_s"));
    }
}
