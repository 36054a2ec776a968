package dev.ember.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files past 2 GiB, made sparse with {@link RandomAccessFile#setLength} so they cost no disk: only the header and
 * a few data bytes are written.
 */
class GgufLargeFileTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    /** A little-endian GGUF header builder for hand-made files. */
    private static final class Header {
        final ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

        Header(long tensors, long kvs) {
            b.putInt(GgufFile.MAGIC).putInt(3).putLong(tensors).putLong(kvs);
        }

        Header string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            b.putLong(bytes.length).put(bytes);
            return this;
        }

        Header tensor(String name, GgmlType type, long offset, long... shape) {
            string(name);
            b.putInt(shape.length);
            for (long d : shape) b.putLong(d);
            b.putInt(type.id).putLong(offset);
            return this;
        }

        byte[] bytes() {
            return java.util.Arrays.copyOf(b.array(), b.position());
        }
    }

    private static Path sparse(Path p, byte[] header, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(length);
            f.write(header);
        }
        return p;
    }

    @Test
    void aTensorBeyondTwoGibibytesIsMappedAndReadable() throws IOException {
        long fillerBytes = 2_500_000_000L; // I8: one byte per element; a multiple of 32
        Header h = new Header(2, 1);
        h.string("general.architecture").b.putInt(GgufValueType.STRING.ordinal());
        h.string("test");
        h.tensor("filler", GgmlType.I8, 0, fillerBytes);
        h.tensor("tail", GgmlType.F32, fillerBytes, 1024);
        byte[] header = h.bytes();
        long dataOffset = GgufWriter.pad(header.length, 32);
        long tailStart = dataOffset + fillerBytes;
        long length = tailStart + 4096;
        Path p = sparse(dir.resolve("big.gguf"), header, length);
        try {
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.seek(tailStart);
                f.write(le(-1f));
                f.seek(length - 4);
                f.write(le(42.5f));
            }
            assertTrue(Files.size(p) > (1L << 31) + (1L << 28));
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(length, f.fileSize());
                assertEquals(dataOffset, f.dataOffset());
                GgufTensor tail = f.requireTensor("tail");
                assertTrue(tail.offset() > 1L << 31);
                assertEquals(-1f, tail.data().get(F32, 0));
                assertEquals(42.5f, tail.data().get(F32, 4092));
                assertEquals(0, f.requireTensor("filler").data().get(ValueLayout.JAVA_BYTE, fillerBytes - 1));
            }
        } finally {
            Files.deleteIfExists(p);
        }
    }

    private static byte[] le(float v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    }

    @Test
    void anArrayLongerThanAJavaArrayIsAFormatError() throws IOException {
        // 3e9 one-byte elements do fit in this 3.5 GB file, but not in a Java array: this used to be a NegativeArraySizeException.
        Header h = new Header(0, 1);
        h.string("t.big").b.putInt(GgufValueType.ARRAY.ordinal()).putInt(GgufValueType.UINT8.ordinal()).putLong(3_000_000_000L);
        Path p = sparse(dir.resolve("bigarray.gguf"), h.bytes(), 3_500_000_000L);
        try {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
            assertEquals(p + ": array length 3000000000 of 't.big' is too long to read", e.getMessage());
        } finally {
            Files.deleteIfExists(p);
        }
    }

    @Test
    void aStringLongerThanAJavaArrayIsAFormatError() throws IOException {
        Header h = new Header(0, 1);
        h.string("t.str").b.putInt(GgufValueType.STRING.ordinal()).putLong(2_500_000_000L);
        Path p = sparse(dir.resolve("bigstring.gguf"), h.bytes(), 3_000_000_000L);
        try {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
            assertTrue(e.getMessage().startsWith(p + ": string length 2500000000 of value of 't.str'"), e.getMessage());
            assertTrue(e.getMessage().endsWith("is too long to read"), e.getMessage());
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
