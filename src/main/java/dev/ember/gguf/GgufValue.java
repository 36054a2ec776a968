package dev.ember.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value with its GGUF type, so a writer can copy it byte for byte.
 * Scalars hold a boxed Java value (unsigned types widened: UINT8/16 as Integer, UINT32 as Long,
 * UINT64 as Long bits). Arrays hold a {@link GgufValue}[] of their elements, except the big
 * homogeneous ones a tokenizer reads, which are kept as primitive arrays: String[], float[], int[].
 * Equality is deep (array contents; floats as {@link Float#equals}), so a value read back equals the value written.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    public static GgufValue string(String s) {
        return new GgufValue(GgufValueType.STRING, null, s);
    }

    public static GgufValue uint8(int v) {
        return new GgufValue(GgufValueType.UINT8, null, v);
    }

    public static GgufValue int8(byte v) {
        return new GgufValue(GgufValueType.INT8, null, v);
    }

    public static GgufValue uint16(int v) {
        return new GgufValue(GgufValueType.UINT16, null, v);
    }

    public static GgufValue int16(short v) {
        return new GgufValue(GgufValueType.INT16, null, v);
    }

    /** The bits of a uint64, held in a long (values ≥ 2^63 read as negative). */
    public static GgufValue uint64(long v) {
        return new GgufValue(GgufValueType.UINT64, null, v);
    }

    public static GgufValue int64(long v) {
        return new GgufValue(GgufValueType.INT64, null, v);
    }

    public static GgufValue float64(double v) {
        return new GgufValue(GgufValueType.FLOAT64, null, v);
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

    public static GgufValue strings(String... elements) {
        return array(GgufValueType.STRING, elements);
    }

    public static GgufValue float32s(float... elements) {
        return array(GgufValueType.FLOAT32, elements);
    }

    public static GgufValue int32s(int... elements) {
        return array(GgufValueType.INT32, elements);
    }

    /** An array of values that all have type {@code elementType} (arrays, for nesting, included). */
    public static GgufValue arrayOf(GgufValueType elementType, GgufValue... elements) {
        return array(elementType, elements);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue v && type == v.type && elementType == v.elementType && Objects.deepEquals(value, v.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType) * 31 + Arrays.deepHashCode(new Object[] {value});
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
