package dev.ember.tokenizer;

import dev.ember.gguf.GgufFile;
import dev.ember.gguf.Metadata;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Text to token ids and back, exactly as llama.cpp's {@code llama_tokenize} / {@code llama_detokenize}
 * do for the vocabulary stored in a GGUF file. Supported: SentencePiece ("llama"), byte-level BPE
 * ("gpt2", with the pre-tokenizers listed in {@link BpePreType}) and WordPiece ("bert").
 * Immutable and thread-safe once built.
 */
public final class Tokenizer {
    private static final byte[] EMPTY = new byte[0];

    private final Vocab vocab;
    private final SpmEncoder spm;
    private final BpeEncoder bpe;
    private final WpmEncoder wpm;
    /**
     * Each token's bytes with special tokens rendered (llama.cpp's token_to_piece cache), filled in as tokens
     * are first rendered: rendering all of them up front cost a cold start tens of milliseconds.
     */
    private final AtomicReferenceArray<byte[]> pieces;

    private Tokenizer(Vocab vocab) {
        this.vocab = vocab;
        this.spm = vocab.type == Vocab.Type.SPM ? new SpmEncoder(vocab) : null;
        this.bpe = vocab.type == Vocab.Type.BPE ? new BpeEncoder(vocab) : null;
        this.wpm = vocab.type == Vocab.Type.WPM ? new WpmEncoder(vocab) : null;
        this.pieces = new AtomicReferenceArray<>(vocab.size());
        // The one rendering that can fail (a byte token whose text is not <0xXX>) still fails the load, as when all were rendered here.
        for (int id = 0; id < vocab.size(); id++) {
            if (renderKind(vocab.attr[id]) == TokenAttr.BYTE) vocab.tokenByte(id);
        }
    }

    /**
     * Builds the tokenizer described by a model's {@code tokenizer.ggml.*} metadata.
     *
     * @throws IllegalArgumentException for a tokenizer model or BPE pre-tokenizer type that is not supported
     */
    public static Tokenizer fromGguf(Metadata md) {
        return new Tokenizer(new Vocab(md));
    }

    /** Reads the metadata of a GGUF file and builds its tokenizer; the file is closed again. */
    public static Tokenizer fromGguf(Path gguf) {
        try (GgufFile file = GgufFile.open(gguf)) {
            return fromGguf(file.metadata());
        }
    }

    /**
     * Tokenizes {@code text} like {@code llama_tokenize}.
     *
     * @param addSpecial   add BOS/EOS (and SEP for WordPiece) as the model asks for
     * @param parseSpecial recognise control tokens written in the text (user-defined tokens are always recognised)
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<SpecialTokenSplitter.Fragment> fragments = SpecialTokenSplitter.split(vocab, text, parseSpecial);
        IntList out = new IntList(text.length() / 2 + 4);
        switch (vocab.type) {
            case SPM -> {
                if (addSpecial && vocab.addBos) out.add(vocab.bos);
                boolean prevSpecial = true; // the first piece of text gets the space prefix too
                for (SpecialTokenSplitter.Fragment f : fragments) {
                    if (f.isText()) {
                        String piece = text.substring(f.start(), f.start() + f.length());
                        if (vocab.addSpacePrefix && prevSpecial) piece = " " + piece;
                        spm.encode(piece.replace(' ', '\u2581'), out);
                        prevSpecial = false;
                    } else {
                        out.add(f.token());
                        prevSpecial = true;
                    }
                }
                if (addSpecial && vocab.addEos) out.add(vocab.eos);
            }
            case BPE -> {
                if (addSpecial && vocab.addBos) out.add(vocab.bos);
                for (SpecialTokenSplitter.Fragment f : fragments) {
                    if (f.isText()) bpe.encode(text.substring(f.start(), f.start() + f.length()), out);
                    else out.add(f.token());
                }
                if (addSpecial && vocab.addEos) out.add(vocab.eos);
            }
            case WPM -> {
                if (addSpecial) out.add(vocab.bos);
                for (SpecialTokenSplitter.Fragment f : fragments) {
                    if (f.isText()) wpm.encode(text.substring(f.start(), f.start() + f.length()), out);
                    else out.add(f.token());
                }
                if (addSpecial) out.add(vocab.sep);
            }
        }
        return out.toArray();
    }

    /** The bytes token {@code id} adds to output text; control and unknown tokens add nothing. */
    public byte[] tokenBytes(int id) {
        return tokenBytes(id, false);
    }

    /**
     * The bytes token {@code id} adds to output text ({@code llama_token_to_piece} with lstrip 0):
     * byte tokens give their byte, SentencePiece's U+2581 becomes a space, byte-level BPE text is mapped
     * back to bytes. Control and unknown tokens give their text only when {@code renderSpecial}.
     * The array is shared: do not modify it.
     */
    public byte[] tokenBytes(int id, boolean renderSpecial) {
        checkId(id);
        if (!renderSpecial && vocab.has(id, TokenAttr.UNKNOWN | TokenAttr.CONTROL)) return EMPTY;
        byte[] piece = pieces.get(id);
        if (piece == null) {
            piece = renderPiece(id);
            if (!pieces.compareAndSet(id, null, piece)) piece = pieces.get(id); // every caller gets the same array
        }
        return piece;
    }

    /** {@link #detokenize} without removing BOS/EOS and without rendering special tokens, as a string. */
    public String decode(int[] ids) {
        return new String(detokenize(ids, false, false), StandardCharsets.UTF_8);
    }

    /**
     * {@code llama_detokenize}: concatenates the token bytes. For SentencePiece the first token loses one
     * leading space (the prefix {@link #encode} added), unless the sequence starts with BOS: a leading BOS
     * consumes that rule whether or not {@code removeSpecial} drops it, so "[BOS] ▁Hello" keeps its space.
     * For vocabularies with clean_up_tokenization_spaces (GPT-2 style BPE, WordPiece) spaces before
     * {@code ?!.,} and in some apostrophe contractions are then removed, as llama.cpp does.
     *
     * @param removeSpecial  drop a leading BOS / trailing EOS when the model adds them
     * @param unparseSpecial render control tokens as their text
     */
    public byte[] detokenize(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        int from = 0, to = ids.length;
        boolean removeSpace = vocab.addSpacePrefix;
        if (removeSpecial && vocab.addBos && to > 0 && ids[0] == vocab.bos) {
            removeSpace = false;
            from++;
        }
        if (removeSpecial && vocab.addEos && to > from && ids[to - 1] == vocab.eos) to--;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            byte[] piece = tokenBytes(ids[i], unparseSpecial);
            int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            out.write(piece, skip, piece.length - skip);
            removeSpace = false;
        }
        byte[] text = out.toByteArray();
        return vocab.cleanSpaces ? SpaceCleaner.clean(text) : text;
    }

    /** The token's text as stored in the vocabulary (e.g. "▁the", "Ġthe", "<0x0A>", "<s>"). */
    public String piece(int id) {
        checkId(id);
        return vocab.text[id];
    }

    /** The id of the token whose vocabulary text is exactly {@code piece}, or -1. */
    public int tokenId(String piece) {
        return vocab.id(piece);
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** Beginning-of-sequence token, or -1 if the vocabulary has none. */
    public int bos() {
        return vocab.bos;
    }

    /** End-of-sequence token, or -1 if the vocabulary has none. */
    public int eos() {
        return vocab.eos;
    }

    /** Whether generation should stop at this token: EOS, EOT, EOM, FIM separators and the like. */
    public boolean isEog(int id) {
        return id >= 0 && vocab.eog.get(id);
    }

    /** All end-of-generation tokens, ascending. */
    public int[] eogTokens() {
        return vocab.eog.stream().toArray();
    }

    /** Whether {@code encode(..., addSpecial=true, ...)} starts with BOS. */
    public boolean addBos() {
        return vocab.addBos;
    }

    /** Whether {@code encode(..., addSpecial=true, ...)} ends with EOS. */
    public boolean addEos() {
        return vocab.addEos;
    }

    /** Whether SentencePiece text gets a leading space before tokenizing. */
    public boolean addSpacePrefix() {
        return vocab.addSpacePrefix;
    }

    /** Whether {@link #decode} applies llama.cpp's clean-up of spaces before punctuation (GPT-2 style BPE, WordPiece). */
    public boolean cleansSpaces() {
        return vocab.cleanSpaces;
    }

    /** Control or unknown token: invisible in output unless special tokens are rendered. */
    public boolean isControl(int id) {
        checkId(id);
        return vocab.has(id, TokenAttr.CONTROL | TokenAttr.UNKNOWN);
    }

    /** "llama", "gpt2" or "bert": the tokenizer.ggml.model value. */
    public String model() {
        return vocab.model;
    }

    /** The BPE pre-tokenizer type in use ("default" for non-BPE models). */
    public String preType() {
        return vocab.pre;
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IndexOutOfBoundsException("token id " + id + " outside vocabulary of " + vocab.size());
        }
    }

    /** llama.cpp's token_to_piece(special = true) for one token. */
    private byte[] renderPiece(int id) {
        String t = vocab.text[id];
        return switch (renderKind(vocab.attr[id])) {
            case TokenAttr.CONTROL -> utf8(t);
            case TokenAttr.NORMAL -> vocab.type == Vocab.Type.BPE ? byteDecode(t) : utf8(t.replace('\u2581', ' '));
            case TokenAttr.BYTE -> new byte[] {(byte) vocab.tokenByte(id)};
            default -> EMPTY; // unused and undefined tokens render as nothing
        };
    }

    /** How a token with these attributes renders: CONTROL (its text as is), NORMAL, BYTE, or 0 (nothing). */
    private static int renderKind(int a) {
        if ((a & (TokenAttr.UNKNOWN | TokenAttr.CONTROL | TokenAttr.USER_DEFINED)) != 0) return TokenAttr.CONTROL;
        if ((a & TokenAttr.NORMAL) != 0) return TokenAttr.NORMAL;
        if ((a & TokenAttr.BYTE) != 0) return TokenAttr.BYTE;
        return 0;
    }

    /** Reverses GPT-2's byte mapping; a code point outside it is written the way llama.cpp does. */
    private static byte[] byteDecode(String t) {
        byte[] out = new byte[t.length()];
        for (int i = 0; i < t.length(); i++) {
            int b = ByteUnicode.codepointToByte(t.charAt(i));
            if (b < 0) return byteDecodeSlow(t);
            out[i] = (byte) b;
        }
        return out;
    }

    private static byte[] byteDecodeSlow(String t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(t.length());
        t.codePoints().forEach(cp -> {
            int b = ByteUnicode.codepointToByte(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : utf8(Character.toString(cp))) sb.append(String.format("%02x", u & 0xFF));
                sb.append(t).append(']');
                out.writeBytes(utf8(sb.toString()));
            }
        });
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Tokenizer[" + vocab.model + "/" + vocab.pre + ", " + vocab.size() + " tokens, bos=" + vocab.bos
                + ", eos=" + vocab.eos + ", addBos=" + vocab.addBos + ", eog=" + Arrays.toString(eogTokens()) + "]";
    }
}
