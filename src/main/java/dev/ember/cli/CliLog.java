package dev.ember.cli;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The engine's log lines for the commands that run without Quarkus (generate, bench, logits, ...): INFO and above from
 * {@code dev.ember} loggers on stderr as "ember: message" ("ember: warning: message" from WARNING up), e.g. where the
 * repacked weights were mapped from or written to. Without it they went nowhere (no log handler outside the server).
 */
final class CliLog extends Handler {
    /** Held so the configured logger is not collected with its handler (JUL keeps loggers weakly). */
    private static Logger root;
    private final PrintStream err;

    private CliLog(PrintStream err) {
        this.err = err;
        setLevel(Level.INFO);
    }

    /** Sends {@code dev.ember} INFO and above to {@code err} (once). */
    static synchronized void install(PrintStream err) {
        if (root != null) return;
        Logger l = Logger.getLogger("dev.ember");
        l.setLevel(Level.INFO);
        l.setUseParentHandlers(false);
        l.addHandler(new CliLog(err));
        root = l;
    }

    @Override
    public void publish(LogRecord r) {
        if (!isLoggable(r)) return;
        Object[] p = r.getParameters();
        String msg = p == null || p.length == 0 ? r.getMessage() : MessageFormat.format(r.getMessage(), p);
        err.println("ember: " + (r.getLevel().intValue() >= Level.WARNING.intValue() ? "warning: " : "") + msg);
    }

    @Override
    public void flush() {
        err.flush();
    }

    @Override
    public void close() {
        flush();
    }
}
