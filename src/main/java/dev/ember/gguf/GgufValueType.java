package dev.ember.gguf;

/** Metadata value types of the GGUF format, numbered as in the file. */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1),
    STRING(8), ARRAY(12), UINT64(8), INT64(8), FLOAT64(8);

    /** The smallest number of bytes a value of this type takes (a string's length prefix, an array's header). */
    public final int minBytes;

    GgufValueType(int minBytes) {
        this.minBytes = minBytes;
    }

    public static GgufValueType byId(long id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[(int) id] : null;
    }
}
