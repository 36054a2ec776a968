package dev.ember.cli;

import dev.ember.hub.TestHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ember tokenize --model hf://...} against a local hub, pointed at it with -Dember.hub-url / -Dember.cache-dir. */
class HubCliTest {
    @TempDir
    Path cache;

    @AfterEach
    void clear() {
        System.clearProperty("ember.hub-url");
        System.clearProperty("ember.cache-dir");
        System.clearProperty("ember.hub-offline");
    }

    @Test
    void tokenizeDownloadsTheModelThenRunsFromTheCache() throws Exception {
        byte[] vocab = Files.readAllBytes(Path.of(System.getProperty("ember.fixtures", "../shared/fixtures"))
                .resolve("tokenizer/ggml-vocab-gpt-2.gguf"));
        try (TestHub hub = new TestHub()) {
            hub.put("test/vocab", "main", "ggml-vocab-gpt-2.gguf", vocab);
            System.setProperty("ember.hub-url", hub.url().toString());
            System.setProperty("ember.cache-dir", cache.toString());
            String[] args = {"tokenize", "--model", "hf://test/vocab/ggml-vocab-gpt-2.gguf", "--text", "Hello world", "--json", "--no-special"};

            Run first = run(args);
            assertEquals(0, first.code, first.err);
            assertEquals("{\"tokens\":[15496,995]}\n", first.out);
            assertTrue(first.err.contains("sha256 verified"), first.err);
            assertArrayEquals(vocab, Files.readAllBytes(cache.resolve("test--vocab/main/ggml-vocab-gpt-2.gguf")));
            int requests = hub.requests().size();

            System.setProperty("ember.hub-offline", "true");
            Run second = run(args);
            assertEquals(0, second.code, second.err);
            assertEquals("{\"tokens\":[15496,995]}\n", second.out);
            assertEquals("", second.err);
            assertEquals(requests, hub.requests().size());
        }
    }

    @Test
    void hubErrorsPrintOneLineAndExit1() {
        try (TestHub hub = new TestHub()) {
            System.setProperty("ember.hub-url", hub.url().toString());
            System.setProperty("ember.cache-dir", cache.toString());
            Run r = run(new String[] {"tokenize", "--model", "hf://test/vocab/nope.gguf", "--text", "x"});
            assertEquals(1, r.code);
            assertTrue(r.err.startsWith("ember: file 'nope.gguf' not found in repository test/vocab at revision 'main'"), r.err);
            assertEquals(1, r.err.lines().count(), r.err);

            Run bad = run(new String[] {"tokenize", "--model", "hf://test", "--text", "x"});
            assertEquals(1, bad.code);
            assertTrue(bad.err.startsWith("ember: malformed model reference 'hf://test'"), bad.err);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    record Run(int code, String out, String err) {}

    static Run run(String[] args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
