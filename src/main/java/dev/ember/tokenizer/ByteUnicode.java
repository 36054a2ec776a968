package dev.ember.tokenizer;

/**
 * GPT-2's reversible byte to code point mapping: printable Latin-1 bytes map to themselves, the
 * other 68 bytes to U+0100 upwards in byte order. Byte-level BPE vocabularies are written in it.
 */
final class ByteUnicode {
    private static final int[] BYTE_TO_CP = new int[256];
    private static final int[] CP_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CP_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            int cp = printable ? b : 256 + n++;
            BYTE_TO_CP[b] = cp;
            CP_TO_BYTE[cp] = b;
        }
    }

    private ByteUnicode() {}

    static int byteToCodepoint(int b) {
        return BYTE_TO_CP[b & 0xFF];
    }

    /** The byte a code point stands for, or -1 if it is not part of the mapping. */
    static int codepointToByte(int cp) {
        return cp >= 0 && cp < CP_TO_BYTE.length ? CP_TO_BYTE[cp] : -1;
    }

    /** Maps every UTF-8 byte of {@code text} to its code point: the form BPE merges work on. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(utf8.length);
        for (byte b : utf8) sb.appendCodePoint(BYTE_TO_CP[b & 0xFF]);
        return sb.toString();
    }
}
