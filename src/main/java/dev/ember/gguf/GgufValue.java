package dev.ember.gguf;

import java.util.Arrays;

/**
 * One metadata value with its GGUF type, so a writer can copy it byte for byte.
 * Scalars hold a boxed Java value (unsigned types widened: UINT8/16 as Integer, UINT32 as Long,
 * UINT64 as Long bits). Arrays hold a {@link GgufValue}[] of their elements, except the big
 * homogeneous ones a tokenizer reads, which are kept as primitive arrays: String[], float[], int[].
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    public static GgufValue string(String s) {
        return new GgufValue(GgufValueType.STRING, null, s);
    }

    public static GgufValue uint32(long v) {
        return new GgufValue(GgufValueType.UINT32, null, v);
    }

    public static GgufValue int32(int v) {
        return new GgufValue(GgufValueType.INT32, null, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    public static GgufValue array(GgufValueType elementType, Object elements) {
        return new GgufValue(GgufValueType.ARRAY, elementType, elements);
    }

    /** Number of elements of an array value. */
    public int length() {
        return switch (value) {
            case String[] a -> a.length;
            case float[] a -> a.length;
            case int[] a -> a.length;
            case GgufValue[] a -> a.length;
            default -> throw new IllegalStateException("not an array: " + type);
        };
    }

    @Override
    public String toString() {
        return switch (value) {
            case String[] a -> "[" + a.length + " strings]";
            case float[] a -> "[" + a.length + " floats]";
            case int[] a -> "[" + a.length + " ints]";
            case GgufValue[] a -> a.length <= 8 ? Arrays.toString(a) : "[" + a.length + " " + elementType + "]";
            default -> String.valueOf(value);
        };
    }
}
