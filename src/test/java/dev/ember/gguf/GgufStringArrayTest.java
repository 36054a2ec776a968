package dev.ember.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * String arrays are decoded from chunks copied out of the mapping: strings that straddle a chunk, strings
 * longer than a chunk and multi-byte text must read back exactly as written, and parsing goes on after them.
 */
class GgufStringArrayTest {
    @TempDir
    Path dir;

    @Test
    void aLargeStringArrayReadsBackExactly() {
        Random r = new Random(42);
        String[] pieces = {"\u2581", "the", "\u0120", "🦙", "日本", "<0x0A>", "é", "", "x"};
        String[] strings = new String[40_000];
        for (int i = 0; i < strings.length; i++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(6);
            for (int j = 0; j < n; j++) sb.append(pieces[r.nextInt(pieces.length)]);
            strings[i] = sb.toString();
        }
        strings[12_345] = "y".repeat(200_000);            // longer than a chunk
        strings[30_000] = "z\u00e9".repeat(40_000);       // two-byte text over more than a chunk
        Path p = dir.resolve("strings.gguf");
        new GgufWriter()
                .putMetadata("general.architecture", GgufValue.string("llama"))
                .putMetadata("tokenizer.ggml.tokens", GgufValue.strings(strings))
                .putMetadata("after", GgufValue.int32(7))
                .putMetadata("more.strings", GgufValue.strings("a", "🦙"))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertArrayEquals(strings, f.metadata().getStringArray("tokenizer.ggml.tokens"));
            assertEquals(7, f.metadata().getInt("after"));
            assertArrayEquals(new String[] {"a", "🦙"}, f.metadata().getStringArray("more.strings"));
        }
    }
}
