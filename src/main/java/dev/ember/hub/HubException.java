package dev.ember.hub;

/**
 * A model reference could not be resolved to a local file. The message is one complete sentence meant
 * for the user (the CLI prints it as {@code ember: MESSAGE} and exits with status 1); {@link #kind()}
 * says which failure it was.
 */
public final class HubException extends RuntimeException {
    /** What went wrong. */
    public enum Kind {
        /** The reference is not of the form {@code hf://OWNER/REPO/FILE[@REVISION]}. */
        BAD_REFERENCE,
        /** HTTP 401/403: the repository is private or gated, or the token is missing or not allowed. */
        UNAUTHORIZED,
        /** HTTP 404: the repository, revision or file does not exist. */
        NOT_FOUND,
        /** Offline mode is on and the file is not in the cache. */
        OFFLINE,
        /** The downloaded bytes do not have the sha256 (or size) the hub announced. */
        CHECKSUM,
        /** The hub or CDN could not be reached, the connection broke, or it answered something unexpected. */
        NETWORK,
        /** The cache directory could not be written. */
        CACHE
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
