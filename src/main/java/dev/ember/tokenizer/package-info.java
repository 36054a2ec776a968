/**
 * Tokenization that reproduces llama.cpp (src/llama-vocab.cpp, src/unicode.cpp) id for id.
 *
 * <p>Supported {@code tokenizer.ggml.model} values: {@code llama} (SentencePiece with byte fallback),
 * {@code gpt2} (byte-level BPE) and {@code bert} (WordPiece). BPE pre-tokenizer types
 * ({@code tokenizer.ggml.pre}) are listed in {@link dev.ember.tokenizer.BpePreType}; anything else
 * (t5/UGM, rwkv, plamo2, gemma4, tekken, gpt-4o, ...) is rejected with an IllegalArgumentException.
 *
 * <p>Known, deliberate differences: character categories come from Java's Unicode tables rather than
 * llama.cpp's generated table (they differ only for code points assigned in newer Unicode versions);
 * where llama.cpp would abort (a SentencePiece byte with no token) the unknown token is used.
 *
 * <p>Entry points: {@link dev.ember.tokenizer.Tokenizer} and {@link dev.ember.tokenizer.StreamingDetokenizer}.
 */
package dev.ember.tokenizer;
