package dev.ember.engine;

/** Where a sequence's events go (a Mutiny emitter in {@link Engine#submit}). */
interface EventSink {
    void event(TokenEvent e);

    void fail(Throwable t);
}
