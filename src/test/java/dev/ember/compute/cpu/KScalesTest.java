package dev.ember.compute.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The packed Q4_K / Q5_K scale and min unpacking against the one-value-at-a-time form (get_scale_min_k4). */
class KScalesTest {
    @Test
    void packedScalesAndMinsEqualTheSingleExtractions() {
        Random random = new Random(42);
        byte[] bytes = new byte[12];
        for (int trial = 0; trial < 20_000; trial++) {
            if (trial == 0) java.util.Arrays.fill(bytes, (byte) 0xFF);
            else if (trial == 1) java.util.Arrays.fill(bytes, (byte) 0);
            else if (trial == 2) for (int i = 0; i < 12; i++) bytes[i] = (byte) (0x40 << (i & 1));   // only the top bits set
            else random.nextBytes(bytes);
            MemorySegment s = MemorySegment.ofArray(bytes);
            long lo = s.get(Bytes.I64, 0);
            int hi = s.get(Bytes.I32, 8);
            long scales = KScales.scalesK4(lo, hi), mins = KScales.minsK4(lo, hi);
            for (int j = 0; j < 8; j++) {
                assertEquals(KScales.scaleK4(s, 0, j), KScales.byteAt(scales, j), "scale " + j + " of trial " + trial);
                assertEquals(KScales.minK4(s, 0, j), KScales.byteAt(mins, j), "min " + j + " of trial " + trial);
            }
        }
    }

    @Test
    void knownBytes() {
        // bytes 0..3 = 0xC1 0x42 0x83 0x04 (scales 0..3 = 1, 2, 3, 4; top bits 3, 1, 2, 0), 4..7 = 0x05 0x46 0x87 0xC8
        // (mins 0..3 = 5, 6, 7, 8; top bits 0, 1, 2, 3), 8..11 = 0x9A 0xBC 0xDE 0xF0 (low nibbles: scales 4..7, high: mins)
        byte[] b = {(byte) 0xC1, 0x42, (byte) 0x83, 0x04, 0x05, 0x46, (byte) 0x87, (byte) 0xC8,
                (byte) 0x9A, (byte) 0xBC, (byte) 0xDE, (byte) 0xF0};
        MemorySegment s = MemorySegment.ofArray(b);
        long scales = KScales.scalesK4(s.get(Bytes.I64, 0), s.get(Bytes.I32, 8));
        long mins = KScales.minsK4(s.get(Bytes.I64, 0), s.get(Bytes.I32, 8));
        int[] wantScales = {1, 2, 3, 4, 0xA | 3 << 4, 0xC | 1 << 4, 0xE | 2 << 4, 0x0};
        int[] wantMins = {5, 6, 7, 8, 0x9, 0xB | 1 << 4, 0xD | 2 << 4, 0xF | 3 << 4};
        for (int j = 0; j < 8; j++) {
            assertEquals(wantScales[j], KScales.byteAt(scales, j), "scale " + j);
            assertEquals(wantMins[j], KScales.byteAt(mins, j), "min " + j);
        }
    }
}
