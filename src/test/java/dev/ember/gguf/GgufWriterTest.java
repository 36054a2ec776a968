package dev.ember.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    @TempDir
    Path dir;

    /** One value of every type, scalar and array, including the awkward ones. */
    static Map<String, GgufValue> everyValueType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.string("llama"));
        m.put("t.u8", GgufValue.uint8(255));
        m.put("t.i8", GgufValue.int8((byte) -128));
        m.put("t.u16", GgufValue.uint16(65535));
        m.put("t.i16", GgufValue.int16((short) -32768));
        m.put("t.u32", GgufValue.uint32(0xFFFFFFFFL));
        m.put("t.i32", GgufValue.int32(Integer.MIN_VALUE));
        m.put("t.f32", GgufValue.float32(-1.5e-7f));
        m.put("t.f32.nan", GgufValue.float32(Float.NaN));
        m.put("t.bool.true", GgufValue.bool(true));
        m.put("t.bool.false", GgufValue.bool(false));
        m.put("t.str.empty", GgufValue.string(""));
        m.put("t.str.unicode", GgufValue.string("héllo wörld ✓ 日本語 🦙 \u0000 nul, tab\t, newline\n"));
        m.put("t.u64", GgufValue.uint64(-1L)); // 2^64 - 1
        m.put("t.i64", GgufValue.int64(Long.MIN_VALUE));
        m.put("t.f64", GgufValue.float64(Math.PI));
        m.put("t.arr.str", GgufValue.strings("", "a", "🦙", "<0x0A>", " space"));
        m.put("t.arr.f32", GgufValue.float32s(0f, -0f, 1e30f, Float.NEGATIVE_INFINITY));
        m.put("t.arr.i32", GgufValue.int32s(1, -1, Integer.MAX_VALUE));
        m.put("t.arr.str.empty", GgufValue.strings());
        m.put("t.arr.f32.empty", GgufValue.float32s());
        m.put("t.arr.i32.empty", GgufValue.int32s());
        m.put("t.arr.u8.empty", GgufValue.arrayOf(GgufValueType.UINT8));
        m.put("t.arr.u8", GgufValue.arrayOf(GgufValueType.UINT8, GgufValue.uint8(0), GgufValue.uint8(200)));
        m.put("t.arr.i8", GgufValue.arrayOf(GgufValueType.INT8, GgufValue.int8((byte) -1)));
        m.put("t.arr.u16", GgufValue.arrayOf(GgufValueType.UINT16, GgufValue.uint16(40000)));
        m.put("t.arr.i16", GgufValue.arrayOf(GgufValueType.INT16, GgufValue.int16((short) -2)));
        m.put("t.arr.u32", GgufValue.arrayOf(GgufValueType.UINT32, GgufValue.uint32(3_000_000_000L)));
        m.put("t.arr.bool", GgufValue.arrayOf(GgufValueType.BOOL, GgufValue.bool(true), GgufValue.bool(false)));
        m.put("t.arr.u64", GgufValue.arrayOf(GgufValueType.UINT64, GgufValue.uint64(Long.MIN_VALUE)));
        m.put("t.arr.i64", GgufValue.arrayOf(GgufValueType.INT64, GgufValue.int64(-5)));
        m.put("t.arr.f64", GgufValue.arrayOf(GgufValueType.FLOAT64, GgufValue.float64(-0.0), GgufValue.float64(1e300)));
        m.put("t.arr.nested", GgufValue.arrayOf(GgufValueType.ARRAY,
                GgufValue.int32s(1, 2, 3),
                GgufValue.int32s(),
                GgufValue.strings("x", ""),
                GgufValue.arrayOf(GgufValueType.ARRAY, GgufValue.arrayOf(GgufValueType.UINT16, GgufValue.uint16(7))),
                GgufValue.arrayOf(GgufValueType.ARRAY)));
        m.put("t.日本語.key", GgufValue.string("unicode key"));
        return m;
    }

    private static MemorySegment randomBytes(Arena arena, long n, long seed) {
        byte[] b = new byte[(int) n];
        new Random(seed).nextBytes(b);
        return arena.allocate(n).copyFrom(MemorySegment.ofArray(b));
    }

    @Test
    void everyValueTypeAndSeveralTensorTypesRoundTrip() throws IOException {
        Path file = dir.resolve("all.gguf");
        try (Arena arena = Arena.ofConfined()) {
            GgufWriter w = new GgufWriter();
            everyValueType().forEach(w::putMetadata);
            record T(String name, GgmlType type, long[] shape) {}
            List<T> specs = List.of(
                    new T("f32.vec", GgmlType.F32, new long[] {3}), // 12 bytes: needs padding
                    new T("f16.mat", GgmlType.F16, new long[] {5, 3}),
                    new T("q8_0.mat", GgmlType.Q8_0, new long[] {64, 2}),
                    new T("q4_k.mat", GgmlType.Q4_K, new long[] {256, 3}),
                    new T("q6_k.3d", GgmlType.Q6_K, new long[] {256, 2, 2}),
                    new T("i8.4d", GgmlType.I8, new long[] {1, 2, 3, 5}),
                    new T("q4_0.row", GgmlType.Q4_0, new long[] {32}));
            MemorySegment[] data = new MemorySegment[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                T t = specs.get(i);
                long elements = 1;
                for (long d : t.shape) elements *= d;
                data[i] = randomBytes(arena, t.type.bytesFor(elements), i);
                w.addTensor(t.name, t.type, t.shape, data[i]);
            }
            // and one streamed through the callback
            MemorySegment streamed = randomBytes(arena, 40 * 4, 99);
            w.addTensor("streamed", GgmlType.F32, new long[] {8, 5}, ch -> ch.write(streamed.asByteBuffer()));
            w.write(file);

            try (GgufFile f = GgufFile.open(file)) {
                assertEquals(3, f.version());
                assertEquals(everyValueType(), f.metadata().asMap());
                assertEquals(List.copyOf(everyValueType().keySet()), List.copyOf(f.metadata().asMap().keySet()));
                assertEquals(specs.size() + 1, f.tensors().size());
                long expectedOffset = 0;
                for (int i = 0; i < specs.size(); i++) {
                    GgufTensor t = f.tensors().get(i);
                    assertEquals(specs.get(i).name, t.name());
                    assertEquals(specs.get(i).type, t.type());
                    assertArrayEquals(specs.get(i).shape, t.shape());
                    assertEquals(expectedOffset, t.offset(), "offsets are the running padded sizes");
                    assertEquals(-1, t.data().mismatch(data[i]), t.name());
                    expectedOffset += GgufWriter.pad(data[i].byteSize(), 32);
                }
                assertEquals(-1, f.tensor("streamed").data().mismatch(streamed));
                assertEquals(0, f.dataOffset() % 32);
                assertEquals(f.dataOffset() + expectedOffset + 160, f.fileSize(), "last tensor padded too");
            }
        }
    }

    @Test
    void customAlignmentIsHonouredWithZeroPadding() throws IOException {
        Path file = dir.resolve("align.gguf");
        new GgufWriter()
                .putMetadata("general.alignment", GgufValue.uint32(256))
                .addTensor("a", GgmlType.F32, new long[] {3}, MemorySegment.ofArray(new float[] {1, 2, 3}))
                .addTensor("b", GgmlType.F32, new long[] {1}, MemorySegment.ofArray(new float[] {4}))
                .write(file);
        byte[] bytes = Files.readAllBytes(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(256, f.alignment());
            assertEquals(0, f.dataOffset() % 256);
            assertEquals(256, f.tensor("b").offset());
            assertEquals(4f, f.tensor("b").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(f.dataOffset() + 512, bytes.length);
            for (long i = f.dataOffset() + 12; i < f.dataOffset() + 256; i++) assertEquals(0, bytes[(int) i], "padding at " + i);
        }
    }

    @Test
    void copyingTokenizerKeysIntoANewFileKeepsTheirBytes() throws IOException {
        Path vocab = Fixtures.root().resolve("tokenizer/ggml-vocab-llama-spm.gguf");
        Path file = dir.resolve("tok.gguf");
        try (GgufFile src = GgufFile.open(vocab)) {
            new GgufWriter()
                    .putMetadata("general.architecture", GgufValue.string("llama"))
                    .copyMetadata(src, k -> k.startsWith("tokenizer."))
                    .write(file);
            try (GgufFile out = GgufFile.open(file)) {
                Map<String, GgufValue> expected = new LinkedHashMap<>();
                src.metadata().asMap().forEach((k, v) -> { if (k.startsWith("tokenizer.")) expected.put(k, v); });
                Map<String, GgufValue> got = new LinkedHashMap<>(out.metadata().asMap());
                got.remove("general.architecture");
                assertEquals(expected, got);
                assertEquals(List.copyOf(expected.keySet()), List.copyOf(got.keySet()));
            }
        }
        // The tokens array is stored exactly as in the source file.
        byte[] a = Files.readAllBytes(vocab), b = Files.readAllBytes(file);
        byte[] needle = "tokenizer.ggml.tokens".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int ia = indexOf(a, needle), ib = indexOf(b, needle);
        int len = 200_000; // well into the 32000 tokens
        assertEquals(-1, java.util.Arrays.mismatch(a, ia, ia + len, b, ib, ib + len));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found: " + new String(needle));
    }

    @Test
    void invalidInputIsRejectedBeforeWriting() {
        GgufWriter w = new GgufWriter();
        MemorySegment four = MemorySegment.ofArray(new byte[4]);
        assertMessage(() -> w.addTensor("x", GgmlType.F32, new long[] {2}, four), "takes 8 bytes, data has 4");
        assertMessage(() -> w.addTensor("x", GgmlType.Q8_0, new long[] {16}, four), "not a multiple of the Q8_0 block size 32");
        assertMessage(() -> w.addTensor("x", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, four), "5 dimensions");
        assertMessage(() -> w.addTensor("x", GgmlType.F32, new long[] {0}, four), "dimension 0");
        assertMessage(() -> w.addTensor("n".repeat(64), GgmlType.F32, new long[] {1}, four), "longer than 63 bytes");
        w.addTensor("x", GgmlType.F32, new long[] {1}, four);
        assertMessage(() -> w.addTensor("x", GgmlType.F32, new long[] {1}, four), "duplicate tensor name 'x'");
        assertMessage(() -> w.putMetadata("general.alignment", GgufValue.int32(32)), "must be UINT32");
        assertMessage(() -> w.putMetadata("general.alignment", GgufValue.uint32(48)), "not a power of two");
        assertMessage(() -> w.putMetadata("k", GgufValue.uint8(256)), "256 does not fit UINT8");
        assertMessage(() -> w.putMetadata("k", GgufValue.of(GgufValueType.UINT32, "3")), "cannot hold a String");
        assertMessage(() -> w.putMetadata("k", GgufValue.array(GgufValueType.INT32, new float[1])), "cannot hold a float[]");
        assertMessage(() -> w.putMetadata("k", GgufValue.arrayOf(GgufValueType.UINT8, GgufValue.int8((byte) 1))),
                "of UINT8 holds a INT8");
        GgufValue deep = GgufValue.int32s(1);
        for (int i = 0; i < 8; i++) deep = GgufValue.arrayOf(GgufValueType.ARRAY, deep);
        GgufValue tooDeep = deep;
        assertMessage(() -> w.putMetadata("k", tooDeep), "nests arrays deeper than 8");
    }

    @Test
    void aStreamedTensorOfTheWrongSizeFailsAndLeavesNoFile() {
        Path file = dir.resolve("bad.gguf");
        GgufWriter w = new GgufWriter().addTensor("x", GgmlType.F32, new long[] {4}, ch -> ch.write(ByteBuffer.allocate(12)));
        assertMessage(() -> w.write(file), "tensor 'x' wrote 12 bytes, expected 16");
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(dir.resolve("bad.gguf.partial")));
    }

    @Test
    void replacingAKeyKeepsItsPosition() throws IOException {
        Path file = dir.resolve("order.gguf");
        new GgufWriter()
                .putMetadata("a", GgufValue.int32(1))
                .putMetadata("b", GgufValue.int32(2))
                .putMetadata("a", GgufValue.string("one"))
                .write(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(List.of("a", "b"), List.copyOf(f.metadata().asMap().keySet()));
            assertEquals("one", f.metadata().getString("a"));
            assertTrue(f.tensors().isEmpty());
            assertEquals(0, f.fileSize() % 32);
        }
    }

    private static void assertMessage(Runnable r, String part) {
        RuntimeException e = assertThrows(RuntimeException.class, r::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }
}
