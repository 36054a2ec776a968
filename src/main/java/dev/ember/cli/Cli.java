package dev.ember.cli;

import java.io.PrintStream;

/** Command dispatcher for {@code ./ember COMMAND ...}. */
public final class Cli {
    private Cli() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("usage: ember generate|logits|tokenize ...");
        return 2;
    }
}
