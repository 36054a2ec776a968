package dev.ember.engine;

import dev.ember.model.BlockTable;
import dev.ember.sampling.Logprobs;
import dev.ember.sampling.Sampler;
import dev.ember.tokenizer.StreamingDetokenizer;
import dev.ember.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One request inside the engine. There is no prefill phase and decode phase: the sequence is a list of
 * tokens (prompt, then generated) and {@code numComputed} of them are in the KV cache; each step computes
 * some of the rest. When all known tokens are computed, the last one's logits choose the next token.
 *
 * <p>A sequence may lead a group: later arrivals with the identical prompt ({@code followers}) do not
 * compute it again but fork from this one when its prompt is done, sharing its KV blocks (the partial
 * last one copy-on-write) and sampling their first token from the same logits.
 */
final class Sequence {
    final long id;
    final GenerationRequest request;
    final BlockTable table;
    final Sampler sampler;
    private final StreamingDetokenizer detokenizer;
    private final StopMatcher stop;
    final EventSink sink;
    final long arrivalNanos;
    long firstScheduledNanos;  // 0 until first put in a batch (or forked)
    long firstTokenNanos;
    final BlockHashChain hashes;
    int numCachedBlocks;       // leading blocks of the table that the prefix cache knows (hits or registered)
    List<Sequence> followers;  // same-prompt sequences waiting for this one's prefill; null when none

    int[] tokens;        // [numTokens] prompt then generated ids
    int numTokens;
    int numComputed;     // tokens whose K/V are in the cache
    int generated;
    volatile boolean cancelled;
    boolean finished;

    Sequence(long id, GenerationRequest request, BlockManager blocks, int vocabSize, Tokenizer tokenizer, EventSink sink) {
        this.id = id;
        this.request = request;
        this.table = new BlockTable(blocks);
        this.hashes = blocks.newHashChain();
        this.sampler = new Sampler(request.params(), vocabSize);
        this.detokenizer = new StreamingDetokenizer(tokenizer);
        this.stop = new StopMatcher(request.stop());
        this.sink = sink;
        this.arrivalNanos = System.nanoTime();
        int[] p = request.promptTokens();
        this.tokens = Arrays.copyOf(p, p.length + Math.min(request.maxTokens(), 1 << 16) + 1);
        this.numTokens = p.length;
    }

    int promptLength() {
        return request.promptTokens().length;
    }

    /** Whether same-prompt arrivals may still follow this one: it has not sampled yet (its prompt is not done). */
    boolean canLead() {
        return generated == 0 && !cancelled;
    }

    void follow(Sequence leader) {
        if (leader.followers == null) leader.followers = new ArrayList<>();
        leader.followers.add(this);
    }

    /** Forgets the block table's contents after it was released (preemption, failed admission). */
    void resetComputed() {
        numComputed = 0;
        numCachedBlocks = 0;
    }

    /** Tokens still to be computed before the next token can be sampled. */
    int pending() {
        return numTokens - numComputed;
    }

    void append(int token) {
        if (numTokens == tokens.length) tokens = Arrays.copyOf(tokens, tokens.length * 2);
        tokens[numTokens++] = token;
        generated++;
    }

    /** The event of a sampled token; its finish reason says whether the generation is over. */
    TokenEvent event(int token, Logprobs logprobs, boolean eog, boolean atLimit) {
        String text = stop.accept(detokenizer.feed(token));
        String finish = null;
        if (stop.stopped() || eog) {
            finish = "stop";
        } else if (atLimit) {
            finish = "length";
        }
        if (finish != null && !stop.stopped()) text += stop.accept(detokenizer.flush()) + stop.flush();
        return new TokenEvent(token, text, logprobs, finish, promptLength(), generated);
    }

    /** Ends a sequence that produced no token (max_tokens 0). */
    void emitEmpty() {
        sink.event(new TokenEvent(-1, "", null, "length", promptLength(), 0));
    }
}
