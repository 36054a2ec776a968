package dev.ember.server.kserve;

import com.google.protobuf.ByteString;
import dev.ember.server.ApiException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw layout of a BYTES tensor in {@code raw_input_contents} / {@code raw_output_contents}: each
 * element is a 4-byte little-endian length followed by that many bytes (what tritonclient sends).
 */
final class BytesTensor {
    private BytesTensor() {}

    static List<ByteString> decode(ByteString raw) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<ByteString> out = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 4) throw ApiException.badParam(TextGeneration.INPUT, "truncated BYTES tensor: " + b.remaining() + " stray bytes");
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw ApiException.badParam(TextGeneration.INPUT, "BYTES element of " + Integer.toUnsignedString(n) + " bytes overruns the tensor");
            }
            out.add(ByteString.copyFrom(b.slice(b.position(), n)));
            b.position(b.position() + n);
        }
        return out;
    }

    static ByteString encode(ByteString element) {
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, element.size());
        return ByteString.copyFrom(len).concat(element);
    }
}
