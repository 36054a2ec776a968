package dev.ember.cli;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MakeModelCommandTest {
    @TempDir
    Path dir;

    static String fixtures() {
        return System.getProperty("ember.fixtures", "../shared/fixtures");
    }

    static String run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(0, MakeModelCommand.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesTheRequestedModel() {
        Path out = dir.resolve("t.gguf");
        String msg = run("make-model", "--shape", "tiny", "--quant", "q4_k_m", "--seed", "7", "--out", out.toString(),
                "--fixtures", fixtures());
        assertTrue(msg.startsWith("wrote " + out), msg);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(15, f.metadata().getInt("general.file_type"));
            assertTrue(f.metadata().getString("general.description").contains("seed 7"));
            assertEquals(GgmlType.Q4_K, f.requireTensor("blk.0.attn_q.weight").type());
        }
        Path viaVocab = dir.resolve("v.gguf");
        run("make-model", "--shape=tiny", "--quant=q4_k_m", "--seed=7", "--out=" + viaVocab,
                "--vocab=" + fixtures() + "/tokenizer/ggml-vocab-llama-spm.gguf");
        assertTrue(sameBytes(out, viaVocab));
    }

    static boolean sameBytes(Path a, Path b) {
        try {
            return Files.mismatch(a, b) == -1;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void usageErrors() {
        String out = dir.resolve("x.gguf").toString();
        assertThrows(Args.UsageException.class, () -> run("make-model", "--quant", "q4_0", "--out", out));
        assertThrows(Args.UsageException.class, () -> run("make-model", "--shape", "huge", "--quant", "q4_0", "--out", out));
        assertThrows(Args.UsageException.class, () -> run("make-model", "--shape", "tiny", "--quant", "q3_k", "--out", out));
        assertThrows(Args.UsageException.class, () -> run("make-model", "--shape", "tiny", "--quant", "q4_0"));
        assertThrows(Args.UsageException.class, () -> run("make-model", "--shape", "tiny", "--quant", "q4_0", "--out", out,
                "--seed", "x"));
        assertThrows(Args.UsageException.class, () -> run("make-model", "--shape", "tiny", "--quant", "q4_0", "--out", out,
                "--vocab", "a", "--fixtures", "b"));
    }

    @Test
    void missingVocabIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> run("make-model", "--shape", "qwen2-0.5b", "--quant", "q8_0",
                "--out", dir.resolve("q.gguf").toString(), "--fixtures", dir.resolve("nowhere").toString()));
        assertTrue(e.getMessage().contains("ggml-vocab-gpt-2.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("--vocab"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("q.gguf")));
    }
}
