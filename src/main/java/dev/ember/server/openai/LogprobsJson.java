package dev.ember.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.engine.TokenEvent;
import dev.ember.sampling.TokenLogprob;
import dev.ember.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** The two OpenAI shapes of log-probabilities: legacy completions and chat. */
final class LogprobsJson {
    private LogprobsJson() {}

    static String tokenText(Tokenizer t, int id) {
        return new String(t.tokenBytes(id), StandardCharsets.UTF_8);
    }

    /** Completions: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}. */
    static ObjectNode completion(Tokenizer t, List<TokenEvent> events, int textOffsetStart) {
        ObjectNode o = Errors.JSON.createObjectNode();
        ArrayNode tokens = o.putArray("tokens");
        ArrayNode lps = o.putArray("token_logprobs");
        ArrayNode tops = o.putArray("top_logprobs");
        ArrayNode offsets = o.putArray("text_offset");
        int offset = textOffsetStart;
        for (TokenEvent e : events) {
            if (e.logprobs() == null) continue;
            String piece = tokenText(t, e.token());
            tokens.add(piece);
            lps.add(e.logprobs().logprob());
            ObjectNode top = tops.addObject();
            for (TokenLogprob alt : e.logprobs().top()) top.put(tokenText(t, alt.token()), alt.logprob());
            offsets.add(offset);
            offset += e.text().length();
        }
        return o;
    }

    /** Chat: {content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}. */
    static ObjectNode chat(Tokenizer t, List<TokenEvent> events) {
        ObjectNode o = Errors.JSON.createObjectNode();
        ArrayNode content = o.putArray("content");
        for (TokenEvent e : events) {
            if (e.logprobs() == null) continue;
            ObjectNode entry = content.addObject();
            put(entry, t, e.token(), e.logprobs().logprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (TokenLogprob alt : e.logprobs().top()) put(top.addObject(), t, alt.token(), alt.logprob());
        }
        return o;
    }

    private static void put(ObjectNode n, Tokenizer t, int id, float logprob) {
        n.put("token", tokenText(t, id));
        n.put("logprob", logprob);
        ArrayNode bytes = n.putArray("bytes");
        for (byte b : t.tokenBytes(id)) bytes.add(b & 0xFF);
    }
}
