package dev.ember.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged copies of a small valid file: every one must fail with a {@link GgufFormatException} that names the file
 * and the problem, never another exception type or an out-of-memory error.
 */
class GgufDamagedFileTest {
    @TempDir
    Path dir;

    private byte[] base;
    private long dataOffset;

    @BeforeEach
    void writeBase() throws IOException {
        Path p = dir.resolve("base.gguf");
        new GgufWriter()
                .putMetadata("general.architecture", GgufValue.string("llama"))
                .putMetadata("general.alignment", GgufValue.uint32(32))
                .putMetadata("general.name", GgufValue.string("base"))
                .putMetadata("t.ints", GgufValue.int32s(1, 2, 3))
                .putMetadata("t.flag", GgufValue.bool(true))
                .putMetadata("t.k1", GgufValue.uint8(1))
                .putMetadata("t.k2", GgufValue.uint8(2))
                .addTensor("tensor.a", GgmlType.F32, new long[] {8, 2}, MemorySegment.ofArray(new byte[64]))
                .addTensor("tensor.b", GgmlType.Q8_0, new long[] {32, 2}, MemorySegment.ofArray(new byte[68]))
                .write(p);
        base = Files.readAllBytes(p);
        try (GgufFile f = GgufFile.open(p)) {
            dataOffset = f.dataOffset();
            assertEquals(64, f.tensor("tensor.b").offset());
        }
    }

    /** Offset of the first byte after {@code name} (a key or tensor name) in the base file. */
    private int after(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return GgufWriterTest.indexOf(base, n) + n.length;
    }

    private byte[] copy() {
        return base.clone();
    }

    private static void putU32(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
    }

    private static void putU64(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    private void assertRejected(byte[] bytes, String... parts) throws IOException {
        Path p = Files.write(dir.resolve("damaged.gguf"), bytes);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), "message names the file: " + e.getMessage());
        for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }

    private byte[] truncated(long length) {
        return Arrays.copyOf(base, (int) length);
    }

    @Test
    void theUndamagedBaseOpens() throws IOException {
        Path p = Files.write(dir.resolve("ok.gguf"), base);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.tensors().size());
        }
    }

    @Test
    void truncatedInsideTheHeader() throws IOException {
        assertRejected(truncated(0), "file is 0 bytes, too short for a GGUF header");
        assertRejected(truncated(16), "file is 16 bytes, too short for a GGUF header");
    }

    @Test
    void truncatedInsideTheMetadata() throws IOException {
        assertRejected(truncated(after("general.name") - 4), "string length 12 of metadata key #2", "runs past the end of the file");
        assertRejected(truncated(after("t.ints") + 10), "file is truncated: reading array length of 't.ints'", "needs 8 bytes, only 2 remain");
        assertRejected(truncated(after("t.ints") + 6), "file is truncated: reading array type of 't.ints'");
        assertRejected(truncated(after("t.ints") + 4 + 4 + 8 + 5), "array length of 't.ints' 3 is impossible: at 4+ bytes each, only 5 bytes remain",
                "(truncated or corrupt)");
    }

    @Test
    void truncatedInsideTheTensorInfos() throws IOException {
        assertRejected(truncated(after("tensor.b") + 2), "file is truncated: reading dimension count of tensor 'tensor.b'");
        assertRejected(truncated(after("tensor.b") + 4 + 8 + 3), "reading dimension 1 of tensor 'tensor.b'");
        assertRejected(truncated(after("tensor.b") + 4 + 16 + 4 + 1), "reading data offset of tensor 'tensor.b'");
    }

    @Test
    void truncatedInsideTheTensorData() throws IOException {
        assertRejected(truncated(dataOffset + 70), "tensor 'tensor.b' (68 bytes at offset " + (dataOffset + 64) + ")",
                "extends past the end of the file (" + (dataOffset + 70) + " bytes)", "truncated or corrupt");
        assertRejected(truncated(dataOffset + 10), "tensor 'tensor.a' (64 bytes");
    }

    @Test
    void everyTruncationBeforeTheEndOfTheDataIsAFormatError() throws IOException {
        long end = dataOffset + 64 + 68; // the last tensor's last byte; only padding follows
        for (long len = 0; len < end; len++) {
            Path p = Files.write(dir.resolve("cut.gguf"), truncated(len));
            assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close(), "cut at " + len);
        }
    }

    @Test
    void flippedMagic() throws IOException {
        byte[] b = copy();
        b[0] = 'X';
        assertRejected(b, "not a GGUF file (magic 0x46554758");
    }

    @Test
    void unsupportedVersions() throws IOException {
        byte[] b = copy();
        putU32(b, 4, 1);
        assertRejected(b, "GGUF version 1 is not supported");
        putU32(b, 4, 99);
        assertRejected(b, "unsupported GGUF version 99");
        putU32(b, 4, Integer.reverseBytes(3));
        assertRejected(b, "big-endian GGUF files are not supported");
    }

    @Test
    void absurdCounts() throws IOException {
        byte[] b = copy();
        putU64(b, 16, 1L << 40);
        assertRejected(b, "metadata count 1099511627776 is impossible", "of a file of " + base.length + " bytes");
        b = copy();
        putU64(b, 8, -1);
        assertRejected(b, "tensor count 18446744073709551615 is impossible");
    }

    @Test
    void absurdStringLength() throws IOException {
        byte[] b = copy();
        putU64(b, after("general.name") + 4, Long.MAX_VALUE);
        assertRejected(b, "string length 9223372036854775807 of value of 'general.name'", "runs past the end of the file");
        putU64(b, after("general.name") + 4, -1);
        assertRejected(b, "string length 18446744073709551615");
        b = copy();
        putU64(b, after("general.name") - 12 - 8, 1L << 50); // the key's own length
        assertRejected(b, "string length 1125899906842624 of metadata key #2");
    }

    @Test
    void absurdArrayLength() throws IOException {
        byte[] b = copy();
        putU64(b, after("t.ints") + 8, 1L << 60);
        assertRejected(b, "array length of 't.ints' 1152921504606846976 is impossible");
        putU64(b, after("t.ints") + 8, 1000);
        assertRejected(b, "array length of 't.ints' 1000 is impossible", "file of " + base.length + " bytes");
    }

    @Test
    void absurdDimensionCountAndDimensions() throws IOException {
        int nDims = after("tensor.a");
        byte[] b = copy();
        putU32(b, nDims, 1000);
        assertRejected(b, "tensor 'tensor.a' has 1000 dimensions (1 to 4 allowed)");
        putU32(b, nDims, 0);
        assertRejected(b, "tensor 'tensor.a' has 0 dimensions");

        b = copy();
        putU64(b, nDims + 4, -1);
        assertRejected(b, "tensor 'tensor.a' has invalid dimension 0 = 18446744073709551615");
        b = copy();
        putU64(b, nDims + 4, 1L << 40);
        putU64(b, nDims + 12, 1L << 40);
        assertRejected(b, "tensor 'tensor.a' has too many elements");
        b = copy();
        putU64(b, nDims + 4, 1L << 31); // 2^62 F32 elements: 2^64 bytes, which used to wrap to 0
        putU64(b, nDims + 12, 1L << 31);
        assertRejected(b, "tensor 'tensor.a' has too many elements: its size in bytes overflows");
        b = copy();
        putU64(b, nDims + 12, 1000);
        assertRejected(b, "tensor 'tensor.a' (32000 bytes", "extends past the end of the file");
        b = copy();
        putU64(b, after("tensor.b") + 4, 16);
        assertRejected(b, "tensor 'tensor.b' row length 16 is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void unknownTypes() throws IOException {
        byte[] b = copy();
        putU32(b, after("tensor.a") + 4 + 16, 99);
        assertRejected(b, "tensor 'tensor.a' has unknown type id 99");
        putU32(b, after("tensor.a") + 4 + 16, 4); // Q4_2, removed from ggml
        assertRejected(b, "tensor 'tensor.a' has unknown type id 4");
        b = copy();
        putU32(b, after("general.name"), 13);
        assertRejected(b, "metadata key 'general.name' has unknown value type 13");
        b = copy();
        putU32(b, after("t.ints") + 4, 77);
        assertRejected(b, "metadata array 't.ints' has unknown element type 77");
    }

    @Test
    void badTensorOffsets() throws IOException {
        int offsetAt = after("tensor.b") + 4 + 16 + 4;
        byte[] b = copy();
        putU64(b, offsetAt, 1 << 20);
        assertRejected(b, "tensor 'tensor.b' (68 bytes at offset " + (dataOffset + (1 << 20)) + ")", "extends past the end of the file");
        putU64(b, offsetAt, Long.MIN_VALUE); // 2^63: aligned, but negative as a Java long
        assertRejected(b, "tensor 'tensor.b'", "extends past the end of the file");
        putU64(b, offsetAt, 65);
        assertRejected(b, "tensor 'tensor.b' data offset 65 is not aligned to 32");
    }

    @Test
    void otherInconsistencies() throws IOException {
        byte[] b = copy();
        b[after("t.flag") + 4] = 2;
        assertRejected(b, "metadata key 't.flag' has bool byte 2 (0 or 1 allowed)");
        b = copy();
        b[after("t.k2") - 1] = '1';
        assertRejected(b, "duplicate metadata key 't.k1'");
        b = copy();
        b[after("tensor.b") - 1] = 'a';
        assertRejected(b, "duplicate tensor name 'tensor.a'");
        b = copy();
        putU32(b, after("general.alignment") + 4, 48);
        assertRejected(b, "general.alignment = 48 is not a power of two");
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(missing));
        assertEquals(missing + ": no such file", e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(dir));
        assertTrue(e.getMessage().startsWith(dir + ": "), e.getMessage());
    }

    @Test
    void randomCorruptionOfTheHeaderNeverEscapesAsAnotherException() throws IOException {
        Random r = new Random(20260807);
        int headerEnd = (int) dataOffset;
        Path p = dir.resolve("fuzz.gguf");
        int rejected = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] b = copy();
            int flips = 1 + r.nextInt(4);
            for (int j = 0; j < flips; j++) {
                int at = r.nextInt(headerEnd);
                b[at] = r.nextInt(3) == 0 ? (byte) 0xFF : (byte) r.nextInt(256);
            }
            Files.write(p, b);
            try (GgufFile f = GgufFile.open(p)) {
                f.metadata().asMap().size();
            } catch (GgufFormatException e) {
                assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 1000, "most random corruptions are detected: " + rejected);
    }
}
