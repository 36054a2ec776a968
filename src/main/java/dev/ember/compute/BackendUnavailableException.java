package dev.ember.compute;

/** A backend cannot run on this machine (no driver library, no device, ...); the message says why. */
public final class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
