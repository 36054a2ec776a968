package dev.ember.compute.opencl;

/** A kernel program failed to compile; the message and {@link #log()} carry the compiler's build log (with source line numbers). */
public final class OpenClBuildException extends OpenClException {
    private final String log;

    public OpenClBuildException(String program, int code, String log) {
        super("clBuildProgram", code, "program for " + program + ", build log:\n" + log);
        this.log = log;
    }

    /** The device compiler's output. */
    public String log() {
        return log;
    }
}
