package dev.ember.hub;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of one download. On a terminal: one bar redrawn in place ({@code \r}) at most five times a
 * second with percent, MB done/total and MB/s. Otherwise plain lines: the start, every 10%, the end.
 */
final class DownloadProgress {
    static final long REDRAW_NANOS = 200_000_000L;
    private static final int BAR_WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final String name;
    private final long total; // -1 = unknown
    private final long startOffset;
    private final LongSupplier clock;
    private final long t0;
    private long lastDraw = Long.MIN_VALUE;
    private int lastDecile;
    private long lastUnknownMark;
    private boolean drawn;

    DownloadProgress(PrintStream out, boolean terminal, String name, long total, long startOffset) {
        this(out, terminal, name, total, startOffset, System::nanoTime);
    }

    DownloadProgress(PrintStream out, boolean terminal, String name, long total, long startOffset, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.name = name;
        this.total = total;
        this.startOffset = startOffset;
        this.clock = clock;
        this.t0 = clock.getAsLong();
        this.lastDecile = total > 0 ? (int) (startOffset * 10 / total) : 0;
        this.lastUnknownMark = startOffset;
    }

    /** Announces the download. */
    void start() {
        if (terminal) {
            update(startOffset);
            return;
        }
        String size = total >= 0 ? mb(total) + " MB" : "size unknown";
        out.println("ember: downloading " + name + " (" + size + ")"
                + (startOffset > 0 ? ", resuming at " + mb(startOffset) + " MB" : ""));
        out.flush();
    }

    /** {@code done}: bytes of the file present so far (including what a resumed download started with). */
    void update(long done) {
        long now = clock.getAsLong();
        if (terminal) {
            if (drawn && now - lastDraw < REDRAW_NANOS) return;
            lastDraw = now;
            drawn = true;
            out.print("\r" + bar(done, now));
            out.flush();
        } else if (total > 0) {
            int decile = (int) Math.min(10, done * 10 / total);
            if (decile > lastDecile && decile < 10) {
                lastDecile = decile;
                out.println("ember: " + name + ": " + decile * 10 + "% (" + mb(done) + "/" + mb(total) + " MB, "
                        + rate(done, now) + " MB/s)");
                out.flush();
            }
        } else if (done - lastUnknownMark >= 100L << 20) {
            lastUnknownMark = done;
            out.println("ember: " + name + ": " + mb(done) + " MB (" + rate(done, now) + " MB/s)");
            out.flush();
        }
    }

    /** The download ended with {@code done} bytes. */
    void finish(long done) {
        long now = clock.getAsLong();
        if (terminal) {
            out.print("\r" + bar(done, now) + "\n");
        } else {
            out.println("ember: downloaded " + name + " (" + mb(done) + " MB in "
                    + String.format(Locale.ROOT, "%.1f", (now - t0) / 1e9) + " s, " + rate(done, now) + " MB/s)");
        }
        out.flush();
    }

    /** The download stopped early: ends the bar's line so the error starts on its own. */
    void abort() {
        if (terminal && drawn) {
            out.println();
            out.flush();
        }
    }

    String bar(long done, long now) {
        StringBuilder b = new StringBuilder(name).append(' ');
        if (total > 0) {
            double f = Math.min(1.0, (double) done / total);
            int filled = (int) (f * BAR_WIDTH);
            b.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
            b.append(String.format(Locale.ROOT, "%3d%% %s/%s MB", (int) (f * 100), mb(done), mb(total)));
        } else {
            b.append(mb(done)).append(" MB");
        }
        b.append(' ').append(rate(done, now)).append(" MB/s");
        return b.toString();
    }

    private String rate(long done, long now) {
        double seconds = Math.max(1e-3, (now - t0) / 1e9);
        return String.format(Locale.ROOT, "%.1f", (done - startOffset) / 1048576.0 / seconds);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
