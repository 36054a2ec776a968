package dev.ember.engine;

/**
 * What one generation produced.
 *
 * @param promptTokens the prompt as token ids (BOS included when the model adds it)
 * @param tokens       generated token ids, in order (an end-of-generation token that stopped it included)
 * @param finishReason "stop" (end-of-generation token) or "length" (max tokens or context full)
 */
public record GenerationResult(int[] promptTokens, int[] tokens, String finishReason) {
}
