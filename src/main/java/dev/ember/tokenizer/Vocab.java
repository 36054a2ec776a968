package dev.ember.tokenizer;

import dev.ember.gguf.GgufValue;
import dev.ember.gguf.Metadata;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * The token table and everything llama.cpp derives from GGUF metadata when it loads a vocabulary
 * ({@code llama_vocab::impl::load}): defaults per tokenizer type, special ids, flags, attribute fixes
 * for control-looking tokens, the end-of-generation set and the special-token search order.
 */
final class Vocab {
    static final int NONE = -1;

    enum Type { SPM, BPE, WPM }

    final Type type;
    final String model;
    final String pre;
    final String[] text;
    final float[] score;
    final int[] attr;
    final TokenIndex ids;
    /** BPE merge ranks keyed by "left right" (tokens never contain a space). */
    final TokenIndex mergeRanks;
    final BpePreType bpePreType;
    final int maxTokenLen; // in UTF-8 bytes

    int bos;
    int eos;
    int eot = NONE;
    int eom = NONE;
    int unk;
    int sep;
    int pad;
    int mask;
    int fimPre = NONE;
    int fimSuf = NONE;
    int fimMid = NONE;
    int fimPad = NONE;
    int fimRep = NONE;
    int fimSep = NONE;

    boolean addSpacePrefix;
    boolean addBos;
    boolean addEos;
    boolean addSep;
    boolean ignoreMerges;
    boolean cleanSpaces;
    boolean lowercase = true;
    boolean stripAccents = true;

    final BitSet eog = new BitSet();
    /** Control, user-defined and unknown tokens, longest text first: the order st_partition tries them. */
    final int[] specialTokens;

    Vocab(Metadata md) {
        model = md.getString("tokenizer.ggml.model");
        String preKey = md.getString("tokenizer.ggml.pre", "");
        switch (model) {
            case "llama" -> {
                type = Type.SPM;
                bos = 1; eos = 2; unk = 0; sep = NONE; pad = NONE; mask = NONE;
                bpePreType = null;
                addSpacePrefix = true;
                addBos = true;
            }
            case "bert" -> {
                type = Type.WPM;
                bos = 101; eos = NONE; unk = 100; sep = 102; pad = 0; mask = 103;
                bpePreType = null;
                cleanSpaces = true;
                addBos = true;
                addSep = true;
            }
            case "gpt2" -> {
                type = Type.BPE;
                bos = 11; eos = 11; unk = NONE; sep = NONE; pad = NONE; mask = NONE;
                bpePreType = BpePreType.lookup(preKey);
                if (bpePreType == null) {
                    throw new IllegalArgumentException("unsupported BPE pre-tokenizer type tokenizer.ggml.pre='" + preKey + "'");
                }
                cleanSpaces = bpePreType.cleanSpaces();
                ignoreMerges = bpePreType.ignoreMerges();
                addBos = bpePreType.addBos();
                if (bpePreType.noBos()) bos = NONE;
            }
            default -> throw new IllegalArgumentException("unsupported tokenizer model tokenizer.ggml.model='" + model
                    + "' (supported: llama (SentencePiece), gpt2 (byte-level BPE), bert (WordPiece))");
        }
        pre = type == Type.BPE ? bpePreType.name() : "default";
        addSpacePrefix = md.getBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);

        text = md.getStringArray("tokenizer.ggml.tokens");
        int n = text.length;
        score = new float[n];
        if (md.has("tokenizer.ggml.scores")) {
            Object s = md.get("tokenizer.ggml.scores").value();
            if (s instanceof float[] f) System.arraycopy(f, 0, score, 0, n);
            else {
                int[] is = md.getIntArray("tokenizer.ggml.scores");
                for (int i = 0; i < n; i++) score[i] = is[i];
            }
        }
        attr = new int[n];
        int[] types = md.has("tokenizer.ggml.token_type") ? md.getIntArray("tokenizer.ggml.token_type") : null;
        int maxLen = 0;
        for (int i = 0; i < n; i++) {
            if (text[i].isEmpty()) text[i] = "[EMPTY_" + i + "]";
            // UTF-8 is at most 3 bytes per char, so only a token that could beat the longest so far is measured
            if (3 * text[i].length() > maxLen) maxLen = Math.max(maxLen, utf8Length(text[i]));
            attr[i] = types == null ? TokenAttr.NORMAL : TokenAttr.fromTokenType(types[i]);
        }
        ids = new TokenIndex(text);
        maxTokenLen = maxLen;
        mergeRanks = type == Type.BPE ? loadMerges(md) : new TokenIndex(new String[0]);

        readSpecialIds(md, n);
        addBos = md.getBool("tokenizer.ggml.add_bos_token", addBos);
        addEos = md.getBool("tokenizer.ggml.add_eos_token", addEos);
        addSep = md.getBool("tokenizer.ggml.add_sep_token", addSep);
        if (addBos && bos == NONE) throw new IllegalArgumentException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        if (addEos && eos == NONE) throw new IllegalArgumentException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
        if (addSep && sep == NONE) throw new IllegalArgumentException("tokenizer.ggml.add_sep_token is true, but tokenizer.ggml.seperator_token_id is not set");
        lowercase = md.getBool("tokenizer.ggml.normalizer.lowercase", lowercase);
        stripAccents = md.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);

        detectSpecialTokensByText();
        buildEogSet();
        specialTokens = sortedSpecialTokens();
        applyModelAttributes(md);
    }

    int size() {
        return text.length;
    }

    boolean has(int id, int attrBits) {
        return (attr[id] & attrBits) != 0;
    }

    /** The token for {@code s}, or {@link #NONE}. */
    int id(String s) {
        return ids.id(s);
    }

    /** llama_vocab::byte_to_token for SentencePiece: {@code <0xXX>}, else the byte itself as a token. */
    int spmByteToken(int b) {
        int id = id(String.format("<0x%02X>", b));
        if (id == NONE && b < 0x80) id = id(String.valueOf((char) b));
        if (id == NONE) {
            if (unk != NONE) return unk; // llama.cpp aborts here; an unknown token is the graceful equivalent
            throw new IllegalStateException("vocabulary has no token for byte 0x" + Integer.toHexString(b));
        }
        return id;
    }

    /** The byte of a byte token such as {@code <0x0A>}. */
    int tokenByte(int id) {
        return Integer.parseInt(text[id].substring(3, 5), 16);
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    private static TokenIndex loadMerges(Metadata md) {
        if (!md.has("tokenizer.ggml.merges")) throw new IllegalArgumentException("cannot find tokenizer merges in model file");
        String[] merges = md.getStringArray("tokenizer.ggml.merges");
        String[] keys = merges;
        for (int i = 0; i < merges.length; i++) {
            if (merges[i].indexOf(' ', 1) < 0) {
                if (keys == merges) keys = merges.clone(); // the metadata's array stays as read
                keys[i] = " "; // llama.cpp stores an unsplittable line as ("", "")
            }
        }
        return TokenIndex.firstWins(keys); // a merge listed twice keeps its first rank
    }

    private void readSpecialIds(Metadata md, int n) {
        bos = special(md, "tokenizer.ggml.bos_token_id", bos, n);
        eos = special(md, "tokenizer.ggml.eos_token_id", eos, n);
        eot = special(md, "tokenizer.ggml.eot_token_id", eot, n);
        eom = special(md, "tokenizer.ggml.eom_token_id", eom, n);
        unk = special(md, "tokenizer.ggml.unknown_token_id", unk, n);
        sep = special(md, "tokenizer.ggml.seperator_token_id", sep, n);
        pad = special(md, "tokenizer.ggml.padding_token_id", pad, n);
        mask = special(md, "tokenizer.ggml.mask_token_id", mask, n);
        fimPre = special(md, "tokenizer.ggml.fim_pre_token_id", fimPre, n);
        fimSuf = special(md, "tokenizer.ggml.fim_suf_token_id", fimSuf, n);
        fimMid = special(md, "tokenizer.ggml.fim_mid_token_id", fimMid, n);
        fimPad = special(md, "tokenizer.ggml.fim_pad_token_id", fimPad, n);
        fimRep = special(md, "tokenizer.ggml.fim_rep_token_id", fimRep, n);
        fimSep = special(md, "tokenizer.ggml.fim_sep_token_id", fimSep, n);
        fimPre = special(md, "tokenizer.ggml.prefix_token_id", fimPre, n); // deprecated spellings
        fimSuf = special(md, "tokenizer.ggml.suffix_token_id", fimSuf, n);
        fimMid = special(md, "tokenizer.ggml.middle_token_id", fimMid, n);
    }

    /** A default id outside the vocabulary is dropped; a key outside it is ignored (llama.cpp warns). */
    private static int special(Metadata md, String key, int dflt, int n) {
        if (dflt >= n) dflt = NONE;
        if (!md.has(key)) return dflt;
        GgufValue v = md.get(key);
        if (!(v.value() instanceof Number num)) return dflt;
        long id = num.longValue() & 0xFFFFFFFFL;
        return id < n ? (int) id : dflt;
    }

    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final List<String> FIM_PRE_TEXTS = List.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
            "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>");
    private static final List<String> FIM_SUF_TEXTS = List.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
            "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>");
    private static final List<String> FIM_MID_TEXTS = List.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>",
            "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>");
    private static final List<String> FIM_PAD_TEXTS = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final List<String> FIM_REP_TEXTS = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final List<String> FIM_SEP_TEXTS = List.of("<|file_sep|>");
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");

    /**
     * Finds EOT/EOM/FIM tokens by their text when the metadata does not name them, and marks them
     * as control tokens. llama.cpp walks a hash map here; the lowest id wins, which only matters for
     * a vocabulary holding two candidates for the same role.
     */
    private void detectSpecialTokensByText() {
        if (eot == NONE) eot = markFirst(EOT_TEXTS);
        if (eom == NONE) eom = markFirst(List.of("<|eom_id|>"));
        if (fimPre == NONE) fimPre = markFirst(FIM_PRE_TEXTS);
        if (fimSuf == NONE) fimSuf = markFirst(FIM_SUF_TEXTS);
        if (fimMid == NONE) fimMid = markFirst(FIM_MID_TEXTS);
        if (fimPad == NONE) fimPad = markFirst(FIM_PAD_TEXTS);
        if (fimRep == NONE) fimRep = markFirst(FIM_REP_TEXTS);
        if (fimSep == NONE) fimSep = markFirst(FIM_SEP_TEXTS);
    }

    /** The lowest id among tokens with one of these texts, marked control; NONE if there is none. */
    private int markFirst(List<String> texts) {
        int best = NONE;
        for (String t : texts) {
            int id = id(t);
            if (id != NONE && (best == NONE || id < best)) best = id;
        }
        if (best != NONE) markControl(best);
        return best;
    }

    private void markControl(int id) {
        attr[id] |= TokenAttr.CONTROL;
    }

    private void buildEogSet() {
        for (int id : new int[] {fimPad, fimRep, fimSep}) if (id != NONE) eog.set(id);
        for (String t : EOG_TEXTS) {
            int id = id(t);
            if (id != NONE) {
                eog.set(id);
                markControl(id);
            }
        }
        // gpt-oss: these structural tokens are always rendered
        for (String t : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
            int id = id(t);
            if (id != NONE) attr[id] = TokenAttr.USER_DEFINED;
        }
        for (int id : new int[] {eos, eot, eom}) if (id != NONE) eog.set(id);

        // o200k_harmony and solar-open: "<|end|>" ends a message, not the generation
        boolean hasReturn = false, hasCall = false, hasFlush = false;
        int end = NONE;
        for (int id = eog.nextSetBit(0); id >= 0; id = eog.nextSetBit(id + 1)) {
            switch (text[id]) {
                case "<|return|>" -> hasReturn = true;
                case "<|call|>", "<|calls|>" -> hasCall = true;
                case "<|flush|>" -> hasFlush = true;
                case "<|end|>" -> end = id;
                default -> { }
            }
        }
        if (end != NONE && ((hasReturn && hasCall) || (hasCall && hasFlush))) {
            eog.clear(end);
            attr[end] = TokenAttr.USER_DEFINED;
        }
        // gemma4 and paddleocr: "</s>" is not an end of generation there
        int s = NONE;
        boolean hasToolResponse = false;
        for (int id = eog.nextSetBit(0); id >= 0; id = eog.nextSetBit(id + 1)) {
            if (text[id].equals("<|tool_response>")) hasToolResponse = true;
            else if (text[id].equals("</s>")) s = id;
        }
        if (hasToolResponse && s != NONE) {
            eog.clear(s);
            attr[s] = TokenAttr.NORMAL;
        }
    }

    private int[] sortedSpecialTokens() {
        List<Integer> special = new ArrayList<>();
        int[] bytes = new int[text.length];
        for (int id = 0; id < text.length; id++) {
            if (has(id, TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) {
                special.add(id);
                bytes[id] = utf8Length(text[id]);
            }
        }
        // llama.cpp's std::sort leaves equal lengths in unspecified order; keep id order for determinism
        special.sort((a, b) -> Integer.compare(bytes[b], bytes[a]));
        return special.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Per-model strip attributes that llama.cpp hard-codes by model, pre-tokenizer or architecture name. */
    private void applyModelAttributes(Metadata md) {
        String name = md.getString("general.name", "").toLowerCase(Locale.ROOT);
        String preKey = md.getString("tokenizer.ggml.pre", "");
        String arch = md.getString("general.architecture", "");
        if (preKey.contains("jina-v2-de") || preKey.contains("jina-v2-es") || preKey.contains("jina-v2-code")
                || arch.contains("nomic-bert-moe") || arch.contains("jina-bert-v3")) {
            setAttr("<mask>", TokenAttr.LSTRIP, true);
        } else if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialTokens) attr[id] |= TokenAttr.RSTRIP;
            setAttr("</s>", TokenAttr.RSTRIP, true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) setAttr(t, TokenAttr.RSTRIP, false);
        } else if (name.contains("modern-bert")) {
            setAttr("[MASK]", TokenAttr.LSTRIP, true);
        }
    }

    private void setAttr(String token, int bit, boolean value) {
        int id = id(token);
        if (id == NONE) return;
        attr[id] = value ? attr[id] | bit : attr[id] & ~bit;
    }
}
