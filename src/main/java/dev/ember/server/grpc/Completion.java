package dev.ember.server.grpc;

import dev.ember.engine.TokenEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.util.Arrays;

/** A whole generation gathered from its token stream: text, token ids, finish reason and token counts. */
public final class Completion {
    private final StringBuilder text = new StringBuilder();
    private int[] tokens = new int[16];
    private int count;
    private String finishReason;
    private int promptTokens;
    private int completionTokens;

    public static Uni<Completion> collect(Multi<TokenEvent> events) {
        return events.collect().in(Completion::new, Completion::add);
    }

    private void add(TokenEvent e) {
        text.append(e.text());
        if (e.token() >= 0) {
            if (count == tokens.length) tokens = Arrays.copyOf(tokens, count * 2);
            tokens[count++] = e.token();
        }
        if (e.isLast()) finishReason = e.finishReason();
        promptTokens = e.promptTokens();
        completionTokens = e.completionTokens();
    }

    public String text() {
        return text.toString();
    }

    public int[] tokens() {
        return Arrays.copyOf(tokens, count);
    }

    /** "stop" or "length"; null only if the stream ended without its last event. */
    public String finishReason() {
        return finishReason;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int completionTokens() {
        return completionTokens;
    }
}
