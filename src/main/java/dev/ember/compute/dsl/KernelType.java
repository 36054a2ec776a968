package dev.ember.compute.dsl;

/** The Java types a kernel body may use, as the translator tracks them through expressions. */
enum KernelType {
    VOID("void", null),
    BOOLEAN("boolean", null),
    INT("int", null),
    LONG("long", null),
    FLOAT("float", null),
    F32_BUFFER("F32Buffer", FLOAT),
    I32_BUFFER("I32Buffer", INT),
    U16_BUFFER("U16Buffer", INT),
    U8_BUFFER("U8Buffer", INT),
    FLOAT_ARRAY("float[]", FLOAT),
    INT_ARRAY("int[]", INT),
    CONTEXT("KernelContext", null);

    private final String javaName;
    private final KernelType element;

    KernelType(String javaName, KernelType element) {
        this.javaName = javaName;
        this.element = element;
    }

    String javaName() {
        return javaName;
    }

    /** What {@code get} / {@code [i]} yields, for buffers and arrays. */
    KernelType element() {
        return element;
    }

    boolean isBuffer() {
        return this == F32_BUFFER || this == I32_BUFFER || this == U16_BUFFER || this == U8_BUFFER;
    }

    boolean isArray() {
        return this == FLOAT_ARRAY || this == INT_ARRAY;
    }

    boolean isNumeric() {
        return this == INT || this == LONG || this == FLOAT;
    }

    boolean isIntegral() {
        return this == INT || this == LONG;
    }

    /** Java's binary numeric promotion of two numeric types. */
    static KernelType promote(KernelType a, KernelType b) {
        if (a == FLOAT || b == FLOAT) return FLOAT;
        if (a == LONG || b == LONG) return LONG;
        return INT;
    }
}
