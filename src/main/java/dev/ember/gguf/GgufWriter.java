package dev.ember.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Builds a GGUF version 3 file with the layout llama.cpp's {@code gguf_write_to_buf} produces: header, metadata
 * in insertion order, tensor infos, zero padding to the alignment, then each tensor's data in insertion order,
 * each followed by zero padding to the alignment (the last one too). Tensor offsets are therefore exactly the
 * running padded sizes, which llama.cpp's reader requires.
 *
 * <p>The alignment is {@code general.alignment} (which must then be a UINT32 power of two, as llama.cpp demands)
 * or 32. Tensor data is either a {@link MemorySegment} (for example a slice of another mapped GGUF file) or a
 * {@link TensorData} callback that streams it, so a big model need not be held in memory.
 *
 * <p>What this writer accepts and llama.cpp's reader does not: arrays of arrays (gguf-py writes and reads them,
 * llama.cpp rejects the file). Tensor shapes are written as given; ggml's own writer drops trailing dimensions
 * of size 1, gguf-py does not.
 */
public final class GgufWriter {
    public static final int VERSION = 3;
    /** ggml's GGML_MAX_NAME: llama.cpp rejects tensor names of this many bytes or more. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;
    private static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 8;
    private static final int MAX_ALIGNMENT = 1 << 20;

    /** Streams one tensor's bytes; it must write exactly the tensor's size. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record PendingTensor(String name, byte[] nameBytes, GgmlType type, long[] shape, long bytes,
                                 MemorySegment segment, TensorData writer) {}

    private final LinkedHashMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** Sets a key; a key already present keeps its position and takes the new value. */
    public GgufWriter putMetadata(String key, GgufValue value) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("metadata key must not be empty");
        checkValue(key, value, 0);
        if (key.equals("general.alignment")) alignmentOf(value);
        metadata.put(key, value);
        return this;
    }

    public GgufWriter removeMetadata(String key) {
        metadata.remove(key);
        return this;
    }

    public Map<String, GgufValue> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Copies every metadata entry of {@code source}, in file order. */
    public GgufWriter copyMetadata(GgufFile source) {
        return copyMetadata(source, key -> true);
    }

    /**
     * Copies the metadata entries of {@code source} whose key passes {@code keep} (for example
     * {@code k -> k.startsWith("tokenizer.")}), in file order, with their exact types; they are written back
     * byte for byte (strings that are not valid UTF-8 excepted: the reader decodes them lossily).
     */
    public GgufWriter copyMetadata(GgufFile source, Predicate<String> keep) {
        for (Map.Entry<String, GgufValue> e : source.metadata().asMap().entrySet()) {
            if (keep.test(e.getKey())) putMetadata(e.getKey(), e.getValue());
        }
        return this;
    }

    /** Adds every tensor of {@code source} in file order; {@code source} must stay open until {@link #write}. */
    public GgufWriter copyTensors(GgufFile source) {
        for (GgufTensor t : source.tensors()) addTensor(t.name(), t.type(), t.shape(), t.data());
        return this;
    }

    /** Rewrites {@code source} (metadata and tensors, same order) to {@code target}. */
    public static void copy(GgufFile source, Path target) {
        new GgufWriter().copyMetadata(source).copyTensors(source).write(target);
    }

    /** Adds a tensor whose bytes are {@code data} (read during {@link #write}). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        long bytes = checkTensor(name, type, shape);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type + " " + Arrays.toString(shape)
                    + " takes " + bytes + " bytes, data has " + data.byteSize());
        }
        tensors.add(new PendingTensor(name, utf8(name), type, shape.clone(), bytes, data, null));
        tensorNames.add(name);
        return this;
    }

    /** Adds a tensor whose bytes {@code data} streams during {@link #write}. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorData data) {
        long bytes = checkTensor(name, type, shape);
        tensors.add(new PendingTensor(name, utf8(name), type, shape.clone(), bytes, null, data));
        tensorNames.add(name);
        return this;
    }

    public int alignment() {
        GgufValue v = metadata.get("general.alignment");
        return v == null ? GgufFile.DEFAULT_ALIGNMENT : alignmentOf(v);
    }

    /**
     * Writes the file. It is written beside {@code path} and moved into place at the end, so a failure never
     * leaves a half-written file under that name.
     */
    public void write(Path path) {
        int alignment = alignment();
        Path tmp = path.resolveSibling(path.getFileName() + ".partial");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                Sink out = new Sink(ch);
                out.u32(GgufFile.MAGIC);
                out.u32(VERSION);
                out.u64(tensors.size());
                out.u64(metadata.size());
                for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
                    out.string(e.getKey());
                    out.u32(e.getValue().type().ordinal());
                    writeValue(out, e.getValue());
                }
                long offset = 0;
                for (PendingTensor t : tensors) {
                    out.u64(t.nameBytes.length);
                    out.bytes(t.nameBytes);
                    out.u32(t.shape.length);
                    for (long d : t.shape) out.u64(d);
                    out.u32(t.type.id);
                    out.u64(offset);
                    offset += pad(t.bytes, alignment);
                }
                out.zeros(pad(out.position(), alignment) - out.position());
                for (PendingTensor t : tensors) {
                    long start = out.position();
                    if (t.segment != null) {
                        out.segment(t.segment);
                    } else {
                        out.flush();
                        CountingChannel counting = new CountingChannel(ch);
                        t.writer.writeTo(counting);
                        out.advance(counting.count);
                    }
                    long written = out.position() - start;
                    if (written != t.bytes) {
                        throw new IllegalStateException("tensor '" + t.name + "' wrote " + written + " bytes, expected " + t.bytes);
                    }
                    out.zeros(pad(t.bytes, alignment) - t.bytes);
                }
                out.flush();
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // The original failure matters more than a leftover temporary file.
        }
    }

    static long pad(long n, long alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long checkTensor(String name, GgmlType type, long[] shape) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must not be empty");
        if (utf8(name).length > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is longer than " + MAX_TENSOR_NAME_BYTES + " bytes");
        }
        if (tensorNames.contains(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        if (shape.length < 1 || shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length + " dimensions (1 to " + MAX_DIMS + " allowed)");
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException("tensor '" + name + "' has dimension " + d);
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[0] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' row length " + shape[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        return Math.multiplyExact(elements / type.blockSize, (long) type.typeSize);
    }

    private static int alignmentOf(GgufValue v) {
        if (v.type() != GgufValueType.UINT32) {
            throw new IllegalArgumentException("general.alignment must be UINT32 (llama.cpp requires it), not " + v.type());
        }
        long a = ((Number) v.value()).longValue();
        if (a <= 0 || a > MAX_ALIGNMENT || Long.bitCount(a) != 1) {
            throw new IllegalArgumentException("general.alignment = " + a + " is not a power of two up to " + MAX_ALIGNMENT);
        }
        return (int) a;
    }

    /** Checks that a value's Java form fits its GGUF type, so {@link #write} cannot fail half way on it. */
    private static void checkValue(String key, GgufValue v, int depth) {
        if (v == null || v.type() == null) throw new IllegalArgumentException("metadata '" + key + "' has no value or type");
        Object o = v.value();
        switch (v.type()) {
            case UINT8 -> range(key, v, 0, 0xFF);
            case INT8 -> range(key, v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> range(key, v, 0, 0xFFFF);
            case INT16 -> range(key, v, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> range(key, v, 0, 0xFFFFFFFFL);
            case INT32 -> range(key, v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> range(key, v, Long.MIN_VALUE, Long.MAX_VALUE);
            case FLOAT32, FLOAT64 -> {
                if (!(o instanceof Float || o instanceof Double)) throw mistyped(key, v);
            }
            case BOOL -> {
                if (!(o instanceof Boolean)) throw mistyped(key, v);
            }
            case STRING -> {
                if (!(o instanceof String)) throw mistyped(key, v);
            }
            case ARRAY -> {
                if (depth >= MAX_NESTING) throw new IllegalArgumentException("metadata '" + key + "' nests arrays deeper than " + MAX_NESTING);
                GgufValueType et = v.elementType();
                if (et == null) throw new IllegalArgumentException("metadata array '" + key + "' has no element type");
                boolean ok = switch (o) {
                    case String[] a -> et == GgufValueType.STRING && Arrays.stream(a).allMatch(s -> s != null);
                    case float[] a -> et == GgufValueType.FLOAT32;
                    case int[] a -> et == GgufValueType.INT32;
                    case GgufValue[] a -> {
                        for (GgufValue e : a) {
                            if (e == null || e.type() != et) {
                                throw new IllegalArgumentException("metadata array '" + key + "' of " + et + " holds "
                                        + (e == null ? "null" : "a " + e.type()));
                            }
                            checkValue(key, e, depth + 1);
                        }
                        yield true;
                    }
                    case null, default -> false;
                };
                if (!ok) throw mistyped(key, v);
            }
        }
    }

    private static void range(String key, GgufValue v, long min, long max) {
        if (!(v.value() instanceof Number n) || v.value() instanceof Float || v.value() instanceof Double) throw mistyped(key, v);
        long x = n.longValue();
        if (x < min || x > max) throw new IllegalArgumentException("metadata '" + key + "' = " + x + " does not fit " + v.type());
    }

    private static IllegalArgumentException mistyped(String key, GgufValue v) {
        String form = v.value() == null ? "null" : v.value().getClass().getSimpleName();
        return new IllegalArgumentException("metadata '" + key + "': a " + v.type()
                + (v.elementType() != null ? " of " + v.elementType() : "") + " cannot hold a " + form);
    }

    private static void writeValue(Sink out, GgufValue v) throws IOException {
        Object o = v.value();
        switch (v.type()) {
            case UINT8, INT8 -> out.u8(((Number) o).intValue());
            case UINT16, INT16 -> out.u16(((Number) o).intValue());
            case UINT32, INT32 -> out.u32(((Number) o).intValue());
            case UINT64, INT64 -> out.u64(((Number) o).longValue());
            case FLOAT32 -> out.u32(Float.floatToRawIntBits(((Number) o).floatValue()));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((Number) o).doubleValue()));
            case BOOL -> out.u8((Boolean) o ? 1 : 0);
            case STRING -> out.string((String) o);
            case ARRAY -> {
                out.u32(v.elementType().ordinal());
                out.u64(v.length());
                switch (o) {
                    case String[] a -> { for (String s : a) out.string(s); }
                    case float[] a -> { for (float f : a) out.u32(Float.floatToRawIntBits(f)); }
                    case int[] a -> { for (int i : a) out.u32(i); }
                    // Elements carry no type tag of their own; a nested array is its element type, length and items.
                    case GgufValue[] a -> { for (GgufValue e : a) writeValue(out, e); }
                    default -> throw new AssertionError(o);
                }
            }
        }
    }

    /** Little-endian buffered output over a channel that tracks the file position. */
    private static final class Sink {
        private final WritableByteChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        Sink(WritableByteChannel ch) {
            this.ch = ch;
        }

        long position() {
            return flushed + buf.position();
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) flushed += ch.write(buf);
            buf.clear();
        }

        /** Accounts for bytes written to the channel directly, after a {@link #flush()}. */
        void advance(long n) {
            flushed += n;
        }

        void u8(int v) throws IOException { room(1); buf.put((byte) v); }
        void u16(int v) throws IOException { room(2); buf.putShort((short) v); }
        void u32(int v) throws IOException { room(4); buf.putInt(v); }
        void u64(long v) throws IOException { room(8); buf.putLong(v); }

        void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }

        void string(String s) throws IOException {
            byte[] b = utf8(s);
            u64(b.length);
            bytes(b);
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) u8(0);
        }

        void segment(MemorySegment seg) throws IOException {
            long size = seg.byteSize();
            if (!seg.isNative() && !(seg.heapBase().orElse(null) instanceof byte[])) {
                // A float[] (etc.) heap segment has no ByteBuffer view: copy it through the buffer.
                MemorySegment view = MemorySegment.ofArray(buf.array());
                for (long off = 0; off < size; ) {
                    room(1);
                    int n = (int) Math.min(size - off, buf.remaining());
                    MemorySegment.copy(seg, off, view, buf.position(), n);
                    buf.position(buf.position() + n);
                    off += n;
                }
                return;
            }
            flush();
            for (long off = 0; off < size; ) {
                int n = (int) Math.min(size - off, 1 << 30); // a ByteBuffer view holds at most 2 GiB
                ByteBuffer bb = seg.asSlice(off, n).asByteBuffer();
                while (bb.hasRemaining()) flushed += ch.write(bb);
                off += n;
            }
        }
    }

    /** Passes writes through, counting bytes, so a streamed tensor's size can be checked. */
    private static final class CountingChannel implements WritableByteChannel {
        private final WritableByteChannel ch;
        long count;

        CountingChannel(WritableByteChannel ch) {
            this.ch = ch;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = ch.write(src);
            count += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() {
            // The writer owns the file; a tensor callback must not close it.
        }
    }
}
