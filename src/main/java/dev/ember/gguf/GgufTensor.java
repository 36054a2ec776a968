package dev.ember.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A tensor of a GGUF file, its bytes a slice of the mapped file (never copied).
 * {@code shape[0]} is the row length (ggml's ne0, the contiguous dimension), {@code shape[1]} the row count, ...
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long offset, MemorySegment data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Row length (ne0). */
    public int rowLength() {
        return Math.toIntExact(shape[0]);
    }

    /** Number of rows: the product of every dimension after the first. */
    public long rowCount() {
        return elementCount() / shape[0];
    }

    public long rowBytes() {
        return type.bytesFor(shape[0]);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
