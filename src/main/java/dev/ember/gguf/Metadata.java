package dev.ember.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** GGUF key/value metadata in file order, with typed getters that name the key when it is missing or mistyped. */
public final class Metadata {
    private final String source;
    private final LinkedHashMap<String, GgufValue> values;

    public Metadata(String source, LinkedHashMap<String, GgufValue> values) {
        this.source = source;
        this.values = values;
    }

    public Map<String, GgufValue> asMap() {
        return Collections.unmodifiableMap(values);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public GgufValue get(String key) {
        return values.get(key);
    }

    private GgufValue require(String key) {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufFormatException(source + ": missing metadata key '" + key + "'");
        return v;
    }

    private GgufFormatException mistyped(String key, GgufValue v, String wanted) {
        return new GgufFormatException(source + ": metadata key '" + key + "' is " + v.type() + ", expected " + wanted);
    }

    public String getString(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof String s) return s;
        throw mistyped(key, v, "a string");
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public long getLong(String key) {
        GgufValue v = require(key);
        return switch (v.value()) {
            case Integer i -> i;
            case Long l -> l;
            case Short s -> s;
            case Byte b -> b;
            default -> throw mistyped(key, v, "an integer");
        };
    }

    public long getLong(String key, long fallback) {
        return has(key) ? getLong(key) : fallback;
    }

    /** An integer that must fit a Java int (counts, sizes, token ids); -1 stored as uint32 reads as -1. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v == 0xFFFFFFFFL) return -1;
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufFormatException(source + ": metadata key '" + key + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) {
        return has(key) ? getInt(key) : fallback;
    }

    public float getFloat(String key) {
        GgufValue v = require(key);
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d.floatValue();
            case Integer i -> i;
            case Long l -> l;
            default -> throw mistyped(key, v, "a number");
        };
    }

    public float getFloat(String key, float fallback) {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        GgufValue v = require(key);
        if (v.value() instanceof Boolean b) return b;
        throw mistyped(key, v, "a bool");
    }

    public String[] getStringArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof String[] a) return a;
        throw mistyped(key, v, "an array of strings");
    }

    public float[] getFloatArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof float[] a) return a;
        throw mistyped(key, v, "an array of float32");
    }

    public int[] getIntArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof int[] a) return a;
        if (v.value() instanceof GgufValue[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                Object e = a[i].value();
                if (e instanceof Number n) out[i] = n.intValue();
                else throw mistyped(key, v, "an array of integers");
            }
            return out;
        }
        throw mistyped(key, v, "an array of integers");
    }

    public String source() {
        return source;
    }
}
