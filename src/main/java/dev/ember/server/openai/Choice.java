package dev.ember.server.openai;

import dev.ember.engine.TokenEvent;

import java.util.ArrayList;
import java.util.List;

/** One choice's generation as it is collected for a non-streaming reply. */
final class Choice {
    final int index;
    final int promptIndex;
    final StringBuilder text = new StringBuilder();
    final List<TokenEvent> events = new ArrayList<>();
    String finishReason;
    int completionTokens;
    int promptTokens;

    Choice(int index, int promptIndex) {
        this.index = index;
        this.promptIndex = promptIndex;
    }

    void add(TokenEvent e) {
        text.append(e.text());
        if (e.token() >= 0) events.add(e);
        completionTokens = e.completionTokens();
        promptTokens = e.promptTokens();
        if (e.isLast()) finishReason = e.finishReason();
    }
}
