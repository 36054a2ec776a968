package dev.ember.hub;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The terminal progress bar: redrawn in place, at most five times a second. */
class HubProgressTest {
    @Test
    void barIsThrottledAndShowsPercentSizesAndRate() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        long[] now = {0};
        long total = 100L << 20;
        DownloadProgress p = new DownloadProgress(out, true, "m.gguf", total, 0, () -> now[0]);
        p.start(); // draw 1
        for (int i = 1; i <= 100; i++) { // 10 ms apart: 1 s in all
            now[0] += 10_000_000L;
            p.update(total * i / 200);
        }
        now[0] = 2_000_000_000L;
        p.finish(total);
        String s = bytes.toString(StandardCharsets.UTF_8);
        long draws = s.chars().filter(c -> c == '\r').count();
        assertTrue(draws >= 5 && draws <= 7, draws + " redraws in about a second: " + s);
        String last = s.substring(s.lastIndexOf('\r') + 1);
        assertEquals("m.gguf [##############################] 100% 100.0/100.0 MB 50.0 MB/s\n", last);
        assertTrue(s.contains(" 20% 20.0/100.0 MB"), s);
    }

    @Test
    void unknownSizeShowsBytesAndRate() {
        DownloadProgress p = new DownloadProgress(new PrintStream(new ByteArrayOutputStream()), true, "f", -1, 0, () -> 1_000_000_000L);
        assertEquals("f 5.0 MB 5000.0 MB/s", p.bar(5L << 20, 1_001_000_000L));
    }
}
