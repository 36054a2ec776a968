package dev.ember.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The reader against every fixture: models against their .meta.json (written by gguf-py), vocab files for sanity. */
class GgufFixtureReadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> models() {
        List<Path> models = Fixtures.ggufs("models");
        assertEquals(13, models.size(), "fixture models");
        return models.stream();
    }

    static Stream<Path> vocabs() {
        List<Path> vocabs = Fixtures.ggufs("tokenizer");
        assertEquals(12, vocabs.size(), "fixture vocab files");
        return vocabs.stream();
    }

    private static String typeName(GgufValue v) {
        return v.type() == GgufValueType.ARRAY ? "ARRAY[" + v.elementType() + "]" : v.type().name();
    }

    @ParameterizedTest
    @MethodSource("models")
    void modelMatchesItsMetaJson(Path gguf) throws IOException {
        Path metaPath = gguf.resolveSibling(gguf.getFileName().toString().replace(".gguf", ".meta.json"));
        JsonNode meta = JSON.readTree(metaPath.toFile());
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(meta.get("bytes").asLong(), f.fileSize());
            assertEquals(meta.get("gguf_version").asInt(), f.version());
            assertEquals(meta.get("alignment").asInt(), f.alignment());
            assertEquals(meta.get("tensor_data_offset").asLong(), f.dataOffset());

            // gguf-py's reader adds three pseudo keys (GGUF.version, GGUF.tensor_count, GGUF.kv_count).
            JsonNode kv = meta.get("metadata");
            assertEquals(meta.get("n_kv").asInt() - 3, f.metadata().asMap().size());
            assertEquals(kv.get("GGUF.kv_count").get("value").asLong(), f.metadata().asMap().size());
            assertEquals(kv.get("GGUF.tensor_count").get("value").asLong(), f.tensors().size());
            List<String> expectedKeys = new ArrayList<>();
            kv.fieldNames().forEachRemaining(k -> { if (!k.startsWith("GGUF.")) expectedKeys.add(k); });
            assertEquals(expectedKeys, new ArrayList<>(f.metadata().asMap().keySet()), "keys in file order");
            for (Map.Entry<String, GgufValue> e : f.metadata().asMap().entrySet()) {
                checkValue(e.getKey(), e.getValue(), kv.get(e.getKey()));
            }

            JsonNode tensors = meta.get("tensors");
            assertEquals(meta.get("n_tensors").asInt(), f.tensors().size());
            assertEquals(tensors.size(), f.tensors().size());
            for (int i = 0; i < tensors.size(); i++) {
                JsonNode jt = tensors.get(i);
                GgufTensor t = f.tensors().get(i);
                String where = gguf.getFileName() + " tensor #" + i;
                assertEquals(jt.get("name").asText(), t.name(), where);
                assertEquals(jt.get("ggml_type").asText(), t.type().name(), where);
                long[] ne = new long[jt.get("ne").size()];
                for (int d = 0; d < ne.length; d++) ne[d] = jt.get("ne").get(d).asLong();
                assertArrayEquals(ne, t.shape(), where);
                assertEquals(jt.get("offset_in_data").asLong(), t.offset(), where);
                assertEquals(jt.get("n_bytes").asLong(), t.data().byteSize(), where);
                assertEquals(t, f.tensor(t.name()));
            }
        }
    }

    private static void checkValue(String key, GgufValue v, JsonNode expected) {
        assertEquals(expected.get("type").asText(), typeName(v), key);
        if (v.type() != GgufValueType.ARRAY) {
            JsonNode ev = expected.get("value");
            switch (v.type()) {
                case UINT32, UINT64 -> assertEquals(ev.asText(), Long.toUnsignedString((Long) v.value()), key);
                case FLOAT32 -> assertEquals((float) ev.asDouble(), (Float) v.value(), key);
                case STRING -> assertEquals(ev.asText(), v.value(), key);
                case BOOL -> assertEquals(ev.asBoolean(), v.value(), key);
                default -> assertEquals(ev.asText(), String.valueOf(v.value()), key);
            }
            return;
        }
        int n = expected.get("n").asInt();
        assertEquals(n, v.length(), key);
        JsonNode first = expected.get("first5"), last = expected.get("last5");
        for (int i = 0; i < first.size(); i++) checkElement(key, v, i, first.get(i));
        for (int i = 0; i < last.size(); i++) checkElement(key, v, n - last.size() + i, last.get(i));
    }

    private static void checkElement(String key, GgufValue v, int i, JsonNode e) {
        String where = key + "[" + i + "]";
        switch (v.value()) {
            case String[] a -> assertEquals(e.asText(), a[i], where);
            case float[] a -> assertEquals((float) e.asDouble(), a[i], where);
            case int[] a -> assertEquals(e.asInt(), a[i], where);
            default -> throw new AssertionError(where + ": unexpected array form " + v);
        }
    }

    // Key counts from an independent (Python) parse of each file.
    private static final Map<String, Integer> VOCAB_KEYS = Map.ofEntries(
            Map.entry("baichuan", 18), Map.entry("bert-bge", 20), Map.entry("deepseek-coder", 25),
            Map.entry("deepseek-llm", 23), Map.entry("falcon", 18), Map.entry("gpt-2", 16), Map.entry("gpt-neox", 17),
            Map.entry("llama-spm", 22), Map.entry("mpt", 17), Map.entry("phi-3", 26), Map.entry("refact", 18),
            Map.entry("starcoder", 19));

    @ParameterizedTest
    @MethodSource("vocabs")
    void vocabFileLoadsWithConsistentTokenizerArrays(Path gguf) {
        String name = gguf.getFileName().toString().replace("ggml-vocab-", "").replace(".gguf", "");
        try (GgufFile f = GgufFile.open(gguf)) {
            Metadata m = f.metadata();
            assertEquals(VOCAB_KEYS.get(name), m.asMap().size(), "key count");
            assertTrue(f.tensors().isEmpty(), "vocab-only file");
            assertEquals(3, f.version());
            assertFalse(m.getString("general.architecture").isEmpty());
            assertFalse(m.getString("tokenizer.ggml.model").isEmpty());
            String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertTrue(tokens.length > 1000, "token count " + tokens.length);
            if (m.has("tokenizer.ggml.scores")) assertEquals(tokens.length, m.getFloatArray("tokenizer.ggml.scores").length);
            if (m.has("tokenizer.ggml.token_type")) assertEquals(tokens.length, m.getIntArray("tokenizer.ggml.token_type").length);
            if (m.has("tokenizer.ggml.merges")) {
                for (String merge : m.getStringArray("tokenizer.ggml.merges")) assertTrue(merge.indexOf(' ') > 0, merge);
            }
            for (String special : List.of("bos", "eos", "unknown", "padding")) {
                String key = "tokenizer.ggml." + special + "_token_id";
                if (m.has(key)) {
                    int id = m.getInt(key);
                    assertTrue(id == -1 || (id >= 0 && id < tokens.length), key + " = " + id);
                }
            }
            for (GgufValue v : m.asMap().values()) {
                assertInstanceOf(GgufValueType.class, v.type());
                if (v.type() == GgufValueType.ARRAY) assertTrue(v.length() >= 0);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void rewritingAModelReproducesItByteForByte(Path gguf) throws IOException {
        Path out = Files.createTempFile("ember-rewrite", ".gguf");
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufWriter.copy(f, out);
            assertEquals(-1, Files.mismatch(gguf, out), "first differing byte");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The vocab files were written by gguf-py in vocab-only mode, which stops right after the metadata; llama.cpp's
     * writer (and this one) always pads the end of the tensor infos to the alignment. That padding is the only difference.
     */
    @ParameterizedTest
    @MethodSource("vocabs")
    void rewritingAVocabFileDiffersOnlyByFinalPadding(Path gguf) throws IOException {
        Path out = Files.createTempFile("ember-rewrite", ".gguf");
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufWriter.copy(f, out);
            byte[] a = Files.readAllBytes(gguf), b = Files.readAllBytes(out);
            assertEquals(GgufWriter.pad(a.length, 32), b.length);
            assertEquals(-1, java.util.Arrays.mismatch(a, 0, a.length, b, 0, a.length), "first differing byte");
            for (int i = a.length; i < b.length; i++) assertEquals(0, b[i]);
            try (GgufFile back = GgufFile.open(out)) {
                assertEquals(f.metadata().asMap(), back.metadata().asMap());
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
