package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class PrefetchTest {
    @Test
    void readsOneByteOfEachLineAndTheLastByteForLinesPastTheEnd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64 * 10, 64);   // ten lines
            for (int i = 0; i < 10; i++) s.set(ValueLayout.JAVA_BYTE, 64L * i, (byte) (1 << (i % 8)));
            s.set(ValueLayout.JAVA_BYTE, 64L * 10 - 1, (byte) 0x40);   // the segment's last byte
            // lines 2, 3, 4: bytes 4, 8, 16
            assertEquals(4 ^ 8 ^ 16, Prefetch.lines(s, 128, 3));
            // the last three lines exactly
            assertEquals((byte) (1 << 7) ^ 1 ^ 2, Prefetch.lines(s, 64 * 7, 3));   // bytes are read signed
            // a range that would pass the end reads the last byte instead (no IndexOutOfBoundsException)
            assertEquals(1 ^ 2 ^ 0x40, Prefetch.lines(s, 64 * 8, 3));
            assertEquals(0x40, Prefetch.lines(s, 64L * 1000, 3));
            assertEquals(0x40 ^ 0x40, Prefetch.lines(s, 64L * 1000, 2));
            Prefetch.keep(0);
        }
    }
}
