package dev.ember.gguf.synth;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufValue;
import dev.ember.gguf.GgufValueType;
import dev.ember.gguf.GgufWriter;
import dev.ember.gguf.quant.Quantizer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Writes a random-weight GGUF model that llama.cpp loads: a {@link ModelShape}'s tensors with N(0, 0.02) weights
 * ({@link WeightStream}) and norms of 1.0, typed by a {@link QuantMix}, with the tokenizer.* keys copied from a
 * llama.cpp vocab file. Tensors are generated and quantized a chunk of rows at a time (rows in parallel on the
 * common fork-join pool) and streamed to the file, so memory use stays a few MiB whatever the model size. The
 * output depends only on (shape, mix, seed, vocab file).
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    /** Bytes of quantized rows produced per chunk before it is written. */
    private static final int CHUNK_BYTES = 4 << 20;
    /** Rows one fork-join task makes, so each task reuses one row buffer. */
    private static final int ROWS_PER_TASK = 8;

    public record Result(Path path, long bytes, int tensors, int vocabSize) {}

    public static Result write(ModelShape shape, QuantMix mix, long seed, Path vocabFile, Path out) {
        try (GgufFile vocab = GgufFile.open(vocabFile)) {
            if (!vocab.metadata().has("tokenizer.ggml.tokens")) {
                throw new IllegalArgumentException(vocabFile + " has no tokenizer.ggml.tokens: not a vocab file");
            }
            int vocabSize = vocab.metadata().getStringArray("tokenizer.ggml.tokens").length;
            GgufWriter w = new GgufWriter();
            String a = shape.arch();
            w.putMetadata("general.architecture", GgufValue.string(a));
            w.putMetadata("general.name", GgufValue.string("synth-" + shape.name()));
            w.putMetadata("general.description", GgufValue.string("SYNTHETIC random weights N(0,0.02) seed " + seed
                    + ", norms=1.0; " + mix.cliName + "; tokenizer copied from " + vocabFile.getFileName()
                    + "; made by ember make-model"));
            w.putMetadata(a + ".context_length", GgufValue.uint32(shape.contextLength()));
            w.putMetadata(a + ".embedding_length", GgufValue.uint32(shape.dim()));
            w.putMetadata(a + ".block_count", GgufValue.uint32(shape.layers()));
            w.putMetadata(a + ".feed_forward_length", GgufValue.uint32(shape.ffn()));
            w.putMetadata(a + ".attention.head_count", GgufValue.uint32(shape.heads()));
            w.putMetadata(a + ".attention.head_count_kv", GgufValue.uint32(shape.kvHeads()));
            w.putMetadata(a + ".rope.dimension_count", GgufValue.uint32(shape.headDim()));
            w.putMetadata(a + ".rope.freq_base", GgufValue.float32(shape.ropeTheta()));
            w.putMetadata(a + ".attention.layer_norm_rms_epsilon", GgufValue.float32(shape.rmsEps()));
            w.putMetadata(a + ".vocab_size", GgufValue.uint32(vocabSize));
            w.copyMetadata(vocab, k -> k.startsWith("tokenizer."));
            // llama-quantize writes both, also for F16 output.
            w.putMetadata("general.quantization_version", GgufValue.uint32(2));
            w.putMetadata("general.file_type", GgufValue.uint32(mix.fileType));

            List<TensorSpec> specs = shape.tensors(vocabSize);
            for (TensorSpec t : specs) {
                GgmlType type = mix.typeFor(t, shape.layers());
                w.addTensor(t.name(), type, t.shape(), ch -> stream(t, Quantizer.of(type), seed, ch));
            }
            w.write(out);
            return new Result(out, Files.size(out), specs.size(), vocabSize);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /** Generates, quantizes and writes one tensor, a chunk of rows at a time. */
    private static void stream(TensorSpec t, Quantizer q, long seed, WritableByteChannel ch) throws IOException {
        WeightStream values = new WeightStream(seed, t);
        int n = t.rowLength();
        long rows = t.rows();
        int rowBytes = Math.toIntExact(q.type().bytesFor(n));
        int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK_BYTES / rowBytes));
        byte[] buf = new byte[chunkRows * rowBytes];        // [chunkRows × rowBytes] quantized rows
        MemorySegment seg = MemorySegment.ofArray(buf);
        for (long first = 0; first < rows; first += chunkRows) {
            long start = first;
            int count = (int) Math.min(chunkRows, rows - first);
            int tasks = (count + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
            IntStream.range(0, tasks).parallel().forEach(task -> {
                float[] row = new float[n];                 // [n] one row of values
                int end = Math.min(count, (task + 1) * ROWS_PER_TASK);
                for (int i = task * ROWS_PER_TASK; i < end; i++) {
                    values.fillRow(start + i, row, n);
                    q.quantizeRow(row, 0, n, seg, (long) i * rowBytes);
                }
            });
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, count * rowBytes);
            while (bb.hasRemaining()) ch.write(bb);
        }
    }
}
