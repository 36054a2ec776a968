package dev.ember.sampling;

/** A token id and its natural-log probability. */
public record TokenLogprob(int token, float logprob) {}
