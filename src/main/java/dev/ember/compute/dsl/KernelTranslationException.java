package dev.ember.compute.dsl;

/**
 * A kernel source the {@link KernelTranslator} cannot turn into device code that means the same as the
 * Java. The message reads {@code File.java:LINE: what}, pointing at the offending construct.
 */
public final class KernelTranslationException extends RuntimeException {
    private final String file;
    private final int line;

    public KernelTranslationException(String file, int line, String what) {
        super(file + ":" + line + ": " + what);
        this.file = file;
        this.line = line;
    }

    /** The source file's name, e.g. {@code RmsNorm.java}. */
    public String file() {
        return file;
    }

    /** The 1-based line of the offending construct. */
    public int line() {
        return line;
    }
}
