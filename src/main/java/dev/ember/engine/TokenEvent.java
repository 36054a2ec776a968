package dev.ember.engine;

import dev.ember.sampling.Logprobs;

/**
 * One step of a generation's stream: the token chosen and the text it completes. The last event of a
 * stream carries the finish reason and may carry no token (token -1) when it only flushes held-back text.
 *
 * @param token            the generated id, or -1 for a final event without a token
 * @param text             text made complete by this token (stop strings and held-back partial characters excluded)
 * @param logprobs         log-probabilities of this token and its alternatives, or null when not asked for
 * @param finishReason     null while running; "stop" (EOS or a stop string) or "length" on the last event
 * @param promptTokens     prompt length in tokens
 * @param completionTokens tokens generated so far, this one included
 */
public record TokenEvent(int token, String text, Logprobs logprobs, String finishReason, int promptTokens,
                         int completionTokens) {
    public boolean isLast() {
        return finishReason != null;
    }
}
