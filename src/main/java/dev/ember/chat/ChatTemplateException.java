package dev.ember.chat;

/**
 * A chat template refused to render: either the template itself called {@code raise_exception(msg)} (then the
 * message is exactly {@code msg}, suitable for an HTTP 400) or rendering failed for another reason.
 */
public final class ChatTemplateException extends RuntimeException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The ChatTemplateException somewhere in a cause chain (Jinjava wraps what filters throw), or null. */
    static ChatTemplateException findIn(Throwable t) {
        for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof ChatTemplateException e) return e;
        }
        return null;
    }
}
