package dev.ember.cli;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options of one command. Unknown options, missing values and
 * malformed numbers are usage errors that name the option.
 */
final class Args {
    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    /** Thrown for a bad command line; the CLI prints the message and exits with status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param valued options that take a value
     * @param flagged options that take none
     */
    static Args parse(String command, String[] argv, int from, Set<String> valued, Set<String> flagged) {
        Args a = new Args(command);
        for (int i = from; i < argv.length; i++) {
            String s = argv[i];
            String name = s;
            String inline = null;
            int eq = s.indexOf('=');
            if (s.startsWith("--") && eq > 0) {
                name = s.substring(0, eq);
                inline = s.substring(eq + 1);
            }
            if (valued.contains(name)) {
                if (inline == null) {
                    if (i + 1 >= argv.length) throw new UsageException(command + ": option " + name + " needs a value");
                    inline = argv[++i];
                }
                a.values.put(name, inline);
            } else if (flagged.contains(name) && inline == null) {
                a.flags.add(name);
            } else {
                throw new UsageException(command + ": unknown option '" + s + "'");
            }
        }
        return a;
    }

    boolean has(String name) {
        return values.containsKey(name) || flags.contains(name);
    }

    String get(String name) {
        return values.get(name);
    }

    String require(String name) {
        String v = values.get(name);
        if (v == null) throw new UsageException(command + ": option " + name + " is required");
        return v;
    }

    int getInt(String name, int fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": option " + name + " must be an integer, got '" + v + "'");
        }
    }

    long getLong(String name, long fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": option " + name + " must be an integer, got '" + v + "'");
        }
    }

    float getFloat(String name, float fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": option " + name + " must be a number, got '" + v + "'");
        }
    }

    /** A comma-separated list of integers, e.g. {@code --tokens 1,2,3}. */
    int[] getInts(String name) {
        String v = require(name);
        String[] parts = v.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException(command + ": option " + name + " must be comma-separated integers, got '" + v + "'");
            }
        }
        return out;
    }
}
