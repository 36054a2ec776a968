package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;

/**
 * A weight tensor seen as a 2-D matrix {@code [rows, cols]} of rows stored back to back in their GGML encoding, read in place
 * from the (mapped) tensor data: nothing is copied. {@code cols} is ggml's ne0 (the contiguous dimension); {@code rows} is the
 * product of the remaining dimensions.
 *
 * <p>One final subclass per GGML type keeps each {@link #dot} call site monomorphic per matrix. {@code dot} multiplies one
 * weight row with one activation row that the caller has already converted with {@link Activations#quantize} to
 * {@link #activationType()}, following the integer arithmetic and (for the vectorized types) the float summation order of
 * ggml's x86 AVX2 kernels. {@link ReferenceDot} holds a plain scalar implementation of every type for comparison.
 */
public abstract sealed class WeightMatrix
        permits F32Matrix, F16Matrix, BF16Matrix, Q8_0Matrix, Q4_0Matrix, Q4_1Matrix, Q5_0Matrix, Q5_1Matrix,
                Q2_KMatrix, Q3_KMatrix, Q4_KMatrix, Q5_KMatrix, Q6_KMatrix {

    protected final String name;
    protected final GgmlType type;
    protected final int rows;
    protected final int cols;
    /** [rows, cols] row-major, each row {@code rowBytes} bytes of {@code type} blocks. */
    protected final MemorySegment data;
    protected final long rowBytes;
    /** Blocks per row ({@code cols / type.blockSize}). */
    protected final int blocks;

    protected WeightMatrix(GgufTensor t) {
        this.name = t.name();
        this.type = t.type();
        long r = t.rowCount();
        if (r > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + name + " has too many rows: " + r);
        if (t.shape()[0] > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + name + " rows are too long");
        this.rows = (int) r;
        this.cols = t.rowLength();
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor " + name + " (" + type + "): row length " + cols
                    + " is not a multiple of the block size " + type.blockSize);
        }
        this.blocks = cols / type.blockSize;
        this.rowBytes = (long) blocks * type.typeSize;
        this.data = t.data();
        if (data.byteSize() < rowBytes * rows) {
            throw new IllegalArgumentException("tensor " + name + " (" + type + "): data has " + data.byteSize()
                    + " bytes, " + rows + " rows need " + rowBytes * rows);
        }
    }

    /** The matrix view of a tensor; an unsupported type gives an IllegalArgumentException naming the tensor and the type. */
    public static WeightMatrix of(GgufTensor t) {
        return switch (t.type()) {
            case F32 -> new F32Matrix(t);
            case F16 -> new F16Matrix(t);
            case BF16 -> new BF16Matrix(t);
            case Q8_0 -> new Q8_0Matrix(t);
            case Q4_0 -> new Q4_0Matrix(t);
            case Q4_1 -> new Q4_1Matrix(t);
            case Q5_0 -> new Q5_0Matrix(t);
            case Q5_1 -> new Q5_1Matrix(t);
            case Q2_K -> new Q2_KMatrix(t);
            case Q3_K -> new Q3_KMatrix(t);
            case Q4_K -> new Q4_KMatrix(t);
            case Q5_K -> new Q5_KMatrix(t);
            case Q6_K -> new Q6_KMatrix(t);
            default -> throw new IllegalArgumentException(
                    "tensor " + t.name() + ": GGML type " + t.type() + " is not supported as a weight matrix");
        };
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public GgmlType type() {
        return type;
    }

    public String name() {
        return name;
    }

    /** The raw row-major data, {@code rows * rowBytes()} bytes (a view, not a copy). */
    public MemorySegment data() {
        return data;
    }

    /** Bytes of one encoded row. */
    public long rowBytes() {
        return rowBytes;
    }

    /** ggml's vec_dot_type for this weight type: the encoding {@link #dot} expects its activation row in. */
    public abstract GgmlType activationType();

    /** Decodes row {@code row} into {@code out[outOffset .. outOffset + cols)} exactly as ggml's dequantize_row_* does. */
    public abstract void dequantizeRow(int row, float[] out, int outOffset);

    /**
     * Dot product of weight row {@code row} with the activation row at {@code xq[xqOffset ..]}, which holds
     * {@link Activations#rowBytes(GgmlType, int) rowBytes(activationType(), cols())} bytes encoded in {@link #activationType()}.
     */
    public abstract float dot(int row, MemorySegment xq, long xqOffset);

    /**
     * {@code out[outOffset + b * outStride] = dot(row, xq, xqOffset + b * xqStride)} for activation rows b < n, bit for bit.
     * The quantized types override it to unpack each weight block once for several activation rows.
     */
    public void dotRows(int row, MemorySegment xq, long xqOffset, long xqStride, int n, float[] out, int outOffset,
                        int outStride) {
        for (int b = 0; b < n; b++) out[outOffset + b * outStride] = dot(row, xq, xqOffset + b * xqStride);
    }

    /** The plain scalar reference for {@link #dot} (same integer math, simple float summation order). */
    public final float dotReference(int row, MemorySegment xq, long xqOffset) {
        return ReferenceDot.dot(type, data, rowOffset(row), xq, xqOffset, cols);
    }

    protected final long rowOffset(int row) {
        if (row < 0 || row >= rows) throw new IndexOutOfBoundsException("row " + row + " of " + rows + " in " + name);
        return row * rowBytes;
    }

    @Override
    public String toString() {
        return name + " " + type + " [" + rows + ", " + cols + "]";
    }
}
