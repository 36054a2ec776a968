package dev.ember.model;

import dev.ember.gguf.GgufFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model.load refuses what the forward pass cannot run (other architectures, yarn rope scaling) and tensors
 * of the wrong shape, with a GgufFormatException naming the file and the problem.
 */
class ModelLoadRejectsUnsupportedTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "phi3", "gemma2", "qwen2moe"})
    void unsupportedArchitectureIsRefused(String arch) {
        Path f = TinyModelGguf.llama().withArch(arch).write(dir, arch);
        String msg = refusal(f);
        assertContains(msg, f.toString());
        assertContains(msg, "architecture '" + arch + "' is not supported");
    }

    @Test
    void yarnRopeScalingIsRefused() {
        Path f = TinyModelGguf.llama().withScaling("yarn", 4f).write(dir, "yarn");
        String msg = refusal(f);
        assertContains(msg, f.toString());
        assertContains(msg, "rope scaling type 'yarn' is not supported");
    }

    @Test
    void attnQWithWrongRowCountNamesTensorAndBothShapes() {
        // attn_q should be [dim 64, qDim 64] (ggml order: row length first); write 60 rows.
        Path f = TinyModelGguf.llama().writer().shape("blk.1.attn_q.weight", 64, 60).write(dir.resolve("bad-q.gguf"));
        String msg = refusal(f);
        assertContains(msg, f.toString());
        assertContains(msg, "'blk.1.attn_q.weight'");
        assertContains(msg, "[64, 60]");
        assertContains(msg, "expected [64, 64]");
    }

    @Test
    void qNormOfWrongLengthNamesTensorAndBothLengths() {
        // qwen3 q norm is [headDim 16]; a [64] one (dim-wide, as a confused converter might write) is refused.
        Path f = TinyModelGguf.llama().withArch("qwen3").withQkNorm(true).writer()
                .shape("blk.0.attn_q_norm.weight", 64).write(dir.resolve("bad-qnorm.gguf"));
        String msg = refusal(f);
        assertContains(msg, f.toString());
        assertContains(msg, "'blk.0.attn_q_norm.weight' has 64 elements, expected 16");
    }

    private static String refusal(Path f) {
        return assertThrows(GgufFormatException.class, () -> Model.load(f).close()).getMessage();
    }

    private static void assertContains(String msg, String part) {
        assertTrue(msg.contains(part), "message lacks \"" + part + "\": " + msg);
    }
}
