package dev.ember.engine;

import java.util.List;

/**
 * Finds stop strings in streamed text across token boundaries. Text that could still be the start of a
 * stop string is held back until it is known not to be one; text from a stop string on is never released.
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    boolean stopped() {
        return stopped;
    }

    /** Adds text; returns what is now safe to emit. After a match, {@link #stopped()} is true. */
    String accept(String text) {
        if (stopped) return "";
        if (stops.isEmpty()) return text;
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        // Hold back the longest suffix that is a prefix of some stop string.
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, pending.length()); k > hold; k--) {
                if (pending.toString().regionMatches(pending.length() - k, s, 0, k)) {
                    hold = k;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** The held-back text at the end of the stream (no stop string followed). */
    String flush() {
        if (stopped) return "";
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }
}
