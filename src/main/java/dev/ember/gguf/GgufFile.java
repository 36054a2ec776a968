package dev.ember.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3) memory-mapped through FFM. Header, metadata and tensor infos are
 * parsed eagerly (they are small); tensor data stays in the mapping and is handed out as slices.
 * Every read is bounds-checked: a damaged file gives a {@link GgufFormatException} naming the file
 * and the problem, never an out-of-memory error or a crash.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Metadata metadata;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> byName;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor(path.toString(), file);
        if (file.byteSize() < 24) throw c.error("file is " + file.byteSize() + " bytes, too short for a GGUF header");
        int magic = c.u32("magic");
        if (magic != MAGIC) {
            throw c.error(String.format("not a GGUF file (magic 0x%08x, expected 0x%08x \"GGUF\")", magic, MAGIC));
        }
        long v = Integer.toUnsignedLong(c.u32("version"));
        if (v == 1) throw c.error("GGUF version 1 is not supported (versions 2 and 3 are)");
        if (v > 0xFFFF && Integer.reverseBytes((int) v) <= 3) throw c.error("big-endian GGUF files are not supported");
        if (v != 2 && v != 3) throw c.error("unsupported GGUF version " + v + " (versions 2 and 3 are)");
        this.version = (int) v;
        long tensorCount = c.u64("tensor count");
        long kvCount = c.u64("metadata count");
        // Each tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes, each kv at least 8 + 4 + 1.
        c.checkCount(tensorCount, 24, "tensor count");
        c.checkCount(kvCount, 13, "metadata count");

        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = c.string("metadata key #" + i);
            long typeId = Integer.toUnsignedLong(c.u32("type of '" + key + "'"));
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw c.error("metadata key '" + key + "' has unknown value type " + typeId);
            if (kv.put(key, c.value(type, key, 0)) != null) throw c.error("duplicate metadata key '" + key + "'");
        }
        this.metadata = new Metadata(path.toString(), kv);

        long align = metadata.has("general.alignment") ? metadata.getLong("general.alignment") : DEFAULT_ALIGNMENT;
        if (align <= 0 || align > 1 << 20 || Long.bitCount(align) != 1) {
            throw c.error("general.alignment = " + align + " is not a power of two");
        }
        this.alignment = (int) align;

        record Info(String name, GgmlType type, long[] shape, long offset) {}
        List<Info> infos = new ArrayList<>((int) Math.min(tensorCount, 1 << 16)); // the count is only bounded by the file size
        for (long i = 0; i < tensorCount; i++) {
            String name = c.string("name of tensor #" + i);
            long nDims = Integer.toUnsignedLong(c.u32("dimension count of tensor '" + name + "'"));
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw c.error("tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = c.u64("dimension " + d + " of tensor '" + name + "'");
                if (shape[d] <= 0 || shape[d] > Long.MAX_VALUE / 8) {
                    throw c.error("tensor '" + name + "' has invalid dimension " + d + " = " + Long.toUnsignedString(shape[d]));
                }
                if (elements > Long.MAX_VALUE / shape[d]) throw c.error("tensor '" + name + "' has too many elements");
                elements *= shape[d];
            }
            long typeId = Integer.toUnsignedLong(c.u32("type of tensor '" + name + "'"));
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) throw c.error("tensor '" + name + "' has unknown type id " + typeId);
            if (shape[0] % type.blockSize != 0) {
                throw c.error("tensor '" + name + "' row length " + shape[0] + " is not a multiple of the "
                        + type + " block size " + type.blockSize);
            }
            // elements / blockSize * typeSize can overflow a long even when the element count does not.
            if (elements / type.blockSize > Long.MAX_VALUE / type.typeSize) {
                throw c.error("tensor '" + name + "' has too many elements: its size in bytes overflows");
            }
            long offset = c.u64("data offset of tensor '" + name + "'");
            if (offset % alignment != 0) {
                throw c.error("tensor '" + name + "' data offset " + offset + " is not aligned to " + alignment);
            }
            infos.add(new Info(name, type, shape, offset));
        }
        long pos = c.position();
        this.dataOffset = (pos + alignment - 1) / alignment * alignment;

        List<GgufTensor> list = new ArrayList<>(infos.size());
        Map<String, GgufTensor> names = new HashMap<>();
        for (Info info : infos) {
            long elements = 1;
            for (long d : info.shape) elements *= d;
            long bytes = info.type.bytesFor(elements);
            long start = dataOffset + info.offset;
            if (info.offset < 0 || start < dataOffset || bytes > file.byteSize() || start > file.byteSize() - bytes) {
                throw new GgufFormatException(path + ": tensor '" + info.name + "' (" + bytes + " bytes at offset " + start
                        + ") extends past the end of the file (" + file.byteSize() + " bytes); the file is truncated or corrupt");
            }
            GgufTensor t = new GgufTensor(info.name, info.type, info.shape, info.offset, file.asSlice(start, bytes));
            if (names.put(info.name, t) != null) throw new GgufFormatException(path + ": duplicate tensor name '" + info.name + "'");
            list.add(t);
        }
        this.tensors = Collections.unmodifiableList(list);
        this.byName = names;
    }

    /** Maps and parses a GGUF file. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (Files.isDirectory(path)) throw new GgufFormatException(path + ": is a directory, not a GGUF file");
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufFormatException(path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new GgufFormatException(path + ": cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public Metadata metadata() {
        return metadata;
    }

    public List<GgufTensor> tensors() {
        return tensors;
    }

    public int alignment() {
        return alignment;
    }

    public long dataOffset() {
        return dataOffset;
    }

    /** The bytes before the tensor data: header, metadata and tensor infos (read-only). */
    public MemorySegment header() {
        return file.asSlice(0, Math.min(dataOffset, file.byteSize())).asReadOnly();
    }

    public long fileSize() {
        return file.byteSize();
    }

    /** The tensor with this name, or null. */
    public GgufTensor tensor(String name) {
        return byName.get(name);
    }

    /** The tensor with this name; a missing tensor is a format error naming it. */
    public GgufTensor requireTensor(String name) {
        GgufTensor t = byName.get(name);
        if (t == null) throw new GgufFormatException(path + ": missing tensor '" + name + "'");
        return t;
    }

    /** False once {@link #close()} has unmapped the file. */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    @Override
    public void close() {
        arena.close();
    }

    /** A bounds-checked little-endian reader over the mapped file. */
    private static final class Cursor {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final int MAX_NESTING = 8;
        // The largest array the JVM will allocate; a longer GGUF array or string cannot be represented.
        private static final long MAX_JAVA_ARRAY = Integer.MAX_VALUE - 8;
        // Element-by-element arrays grow as they are parsed rather than trusting the declared count up front,
        // so a corrupt count in a large file fails on the data, not with an enormous allocation.
        private static final int INITIAL_CAPACITY = 4096;
        // Bytes of a string array copied out of the mapping at a time.
        private static final int STRING_CHUNK = 1 << 16;

        private final String source;
        private final MemorySegment seg;
        private long pos;

        Cursor(String source, MemorySegment seg) {
            this.source = source;
            this.seg = seg;
        }

        long position() {
            return pos;
        }

        GgufFormatException error(String what) {
            return new GgufFormatException(source + ": " + what);
        }

        private long remaining() {
            return seg.byteSize() - pos;
        }

        private void need(long n, String what) {
            if (n < 0 || n > remaining()) {
                throw error("file is truncated: reading " + what + " at offset " + pos + " needs " + n
                        + " bytes, only " + remaining() + " remain");
            }
        }

        void checkCount(long count, long minBytesEach, String what) {
            if (count < 0 || count > remaining() / minBytesEach) {
                throw error(what + " " + Long.toUnsignedString(count) + " is impossible: at " + minBytesEach + "+ bytes each, only "
                        + remaining() + " bytes remain after offset " + pos + " of a file of " + seg.byteSize()
                        + " bytes (truncated or corrupt)");
            }
        }

        int u32(String what) {
            need(4, what);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            return string(what, null, -1);
        }

        /**
         * A string; {@code what} names it in errors, or, when {@code key} is set, element {@code index} of the
         * array {@code key} does: the message is only built on error, since a vocabulary has ~10^5 strings.
         */
        String string(String what, String key, int index) {
            if (remaining() < 8) throw error("file is truncated: reading length of " + describe(what, key, index) + " at offset "
                    + pos + " needs 8 bytes, only " + remaining() + " remain");
            long len = seg.get(I64, pos);
            pos += 8;
            if (len < 0 || len > remaining()) {
                throw error("string length " + Long.toUnsignedString(len) + " of " + describe(what, key, index) + " at offset " + (pos - 8)
                        + " runs past the end of the file");
            }
            if (len > MAX_JAVA_ARRAY) {
                throw error("string length " + len + " of " + describe(what, key, index) + " at offset " + (pos - 8) + " is too long to read");
            }
            byte[] bytes = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, bytes, 0, bytes.length);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /**
         * The {@code count} strings of the array {@code key}. A vocabulary holds ~10^5 of them and is read while the
         * JVM is cold, so they are decoded from chunks copied out of the mapping in bulk rather than through a
         * segment access or two each; anything out of the ordinary (a length past the chunk or the file) is left
         * to {@link #string(String, String, int)}, which reads it, or names the problem, as for any string.
         */
        private String[] strings(String key, int count) {
            List<String> a = new ArrayList<>(Math.min(count, INITIAL_CAPACITY));
            byte[] chunk = new byte[0];
            long chunkStart = pos;
            int off = 0;
            for (int i = 0; i < count; i++) {
                if (off > chunk.length - 8) {
                    chunkStart += off;
                    off = 0;
                    chunk = copy(chunkStart, STRING_CHUNK);
                }
                if (off <= chunk.length - 8) {
                    long len = littleEndianLong(chunk, off);
                    if (len >= 0 && len <= chunk.length - off - 8) {
                        a.add(new String(chunk, off + 8, (int) len, StandardCharsets.UTF_8));
                        off += 8 + (int) len;
                        continue;
                    }
                }
                // longer than what is left of the chunk, or past the end of the file
                pos = chunkStart + off;
                a.add(string(null, key, i));
                chunkStart = pos;
                off = 0;
                chunk = new byte[0];
            }
            pos = chunkStart + off;
            return a.toArray(String[]::new);
        }

        /** Up to {@code max} bytes of the file from {@code start} (fewer at its end). */
        private byte[] copy(long start, int max) {
            byte[] b = new byte[(int) Math.min(max, seg.byteSize() - start)];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, start, b, 0, b.length);
            return b;
        }

        private static long littleEndianLong(byte[] b, int off) {
            long v = 0;
            for (int i = 7; i >= 0; i--) v = v << 8 | (b[off + i] & 0xFF);
            return v;
        }

        private static String describe(String what, String key, int index) {
            return key == null ? what : "element " + index + " of '" + key + "'";
        }

        GgufValue value(GgufValueType type, String key, int depth) {
            String what = "value of '" + key + "'";
            switch (type) {
                case UINT8 -> { need(1, what); int v = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos)); pos += 1; return GgufValue.of(type, v); }
                case INT8 -> { need(1, what); byte v = seg.get(ValueLayout.JAVA_BYTE, pos); pos += 1; return GgufValue.of(type, v); }
                case UINT16 -> { need(2, what); int v = Short.toUnsignedInt(seg.get(I16, pos)); pos += 2; return GgufValue.of(type, v); }
                case INT16 -> { need(2, what); short v = seg.get(I16, pos); pos += 2; return GgufValue.of(type, v); }
                case UINT32 -> { return GgufValue.of(type, Integer.toUnsignedLong(u32(what))); }
                case INT32 -> { return GgufValue.of(type, u32(what)); }
                case FLOAT32 -> { need(4, what); float v = seg.get(F32, pos); pos += 4; return GgufValue.of(type, v); }
                case BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) throw error("metadata key '" + key + "' has bool byte " + b + " (0 or 1 allowed)");
                    pos += 1;
                    return GgufValue.of(type, b == 1);
                }
                case STRING -> { return GgufValue.of(type, string(what)); }
                case UINT64, INT64 -> { return GgufValue.of(type, u64(what)); }
                case FLOAT64 -> { need(8, what); double v = seg.get(F64, pos); pos += 8; return GgufValue.of(type, v); }
                case ARRAY -> { return array(key, depth); }
            }
            throw new AssertionError(type);
        }

        private GgufValue array(String key, int depth) {
            if (depth >= MAX_NESTING) throw error("metadata key '" + key + "' nests arrays deeper than " + MAX_NESTING);
            long typeId = Integer.toUnsignedLong(u32("array type of '" + key + "'"));
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) throw error("metadata array '" + key + "' has unknown element type " + typeId);
            long n = u64("array length of '" + key + "'");
            checkCount(n, et.minBytes, "array length of '" + key + "'");
            if (n > MAX_JAVA_ARRAY) throw error("array length " + n + " of '" + key + "' is too long to read");
            int count = (int) n;
            switch (et) {
                case STRING -> {
                    return GgufValue.array(et, strings(key, count));
                }
                case FLOAT32 -> {
                    need(4L * count, "array '" + key + "'");
                    float[] a = seg.asSlice(pos, 4L * count).toArray(F32);
                    pos += 4L * count;
                    return GgufValue.array(et, a);
                }
                case INT32 -> {
                    need(4L * count, "array '" + key + "'");
                    int[] a = seg.asSlice(pos, 4L * count).toArray(I32);
                    pos += 4L * count;
                    return GgufValue.array(et, a);
                }
                default -> {
                    List<GgufValue> a = new ArrayList<>(Math.min(count, INITIAL_CAPACITY));
                    for (int i = 0; i < count; i++) a.add(value(et, key, depth + 1));
                    return GgufValue.array(et, a.toArray(GgufValue[]::new));
                }
            }
        }
    }
}
