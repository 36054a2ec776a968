package dev.ember.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.server.ApiException;

import java.util.ArrayList;
import java.util.List;

/** Typed reads of request fields; a wrong type or range is a 400 that names the parameter. */
final class JsonFields {
    private JsonFields() {}

    static boolean present(JsonNode body, String name) {
        JsonNode v = body.get(name);
        return v != null && !v.isNull();
    }

    static double number(JsonNode body, String name, double fallback) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw ApiException.badParam(name, "'" + name + "' must be a number, got " + v);
        double d = v.doubleValue();
        if (!Double.isFinite(d)) throw ApiException.badParam(name, "'" + name + "' must be finite, got " + v);
        return d;
    }

    static int integer(JsonNode body, String name, int fallback) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return fallback;
        if (!v.isIntegralNumber() && !(v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()))) {
            throw ApiException.badParam(name, "'" + name + "' must be an integer, got " + v);
        }
        if (!v.canConvertToInt()) throw ApiException.badParam(name, "'" + name + "' is out of range: " + v);
        return v.asInt();
    }

    static long longValue(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw ApiException.badParam(name, "'" + name + "' must be an integer, got " + v);
        return v.asLong();
    }

    static boolean bool(JsonNode body, String name, boolean fallback) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw ApiException.badParam(name, "'" + name + "' must be a boolean, got " + v);
        return v.asBoolean();
    }

    static String string(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw ApiException.badParam(name, "'" + name + "' must be a string, got " + v);
        return v.asText();
    }

    /** A string or an array of strings (OpenAI's {@code stop}). */
    static List<String> strings(JsonNode body, String name) {
        JsonNode v = body.get(name);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) throw ApiException.badParam(name, "'" + name + "' must be a string or an array of strings");
                out.add(e.asText());
            }
        } else {
            throw ApiException.badParam(name, "'" + name + "' must be a string or an array of strings");
        }
        for (String s : out) if (s.isEmpty()) throw ApiException.badParam(name, "'" + name + "' must not contain empty strings");
        return out;
    }
}
