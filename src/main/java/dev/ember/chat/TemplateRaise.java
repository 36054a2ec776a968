package dev.ember.chat;

/** Thrown by {@code raise_exception(msg)}; carried through Jinjava's error handling and surfaced unchanged. */
final class TemplateRaise extends RuntimeException {

    TemplateRaise(String message) {
        super(message, null, false, false);
    }

    /** The TemplateRaise somewhere in a cause chain, or null. */
    static TemplateRaise findIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TemplateRaise r) return r;
            if (c.getCause() == c) break;
        }
        return null;
    }
}
