package dev.ember.gguf;

/** A GGUF file that cannot be read: the message names the file and what is wrong with it. */
public final class GgufFormatException extends RuntimeException {
    public GgufFormatException(String message) {
        super(message);
    }
}
