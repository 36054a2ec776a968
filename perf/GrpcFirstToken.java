import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Cold-start probe for perf/cold-start.sh: the time of the first token of a gRPC
 * {@code ember.v1.Generation/GenerateStream} call, JDK only (a minimal HTTP/2 cleartext client with prior knowledge,
 * literal HPACK headers, the request's protobuf written by hand), so that measuring needs no grpcurl and no jars.
 *
 * <p>usage: {@code java GrpcFirstToken.java PORT [PROMPT] [TIMEOUT_S]}. It prints {@code ready} once loaded (start
 * the server after that line, so the probe's own JVM start-up is not measured), keeps connecting until the port
 * opens, sends the call, and prints the wall-clock time of the first message that carries a token as epoch
 * nanoseconds, then {@code token ID text "TEXT"}. Exit 1 if the call ends without a token or the time runs out.
 */
public final class GrpcFirstToken {
    private static final int DATA = 0, HEADERS = 1, SETTINGS = 4, PING = 6, GOAWAY = 7;
    private static final int END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4;

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String prompt = args.length > 1 ? args[1] : "Once upon a time";
        long deadline = System.nanoTime() + (args.length > 2 ? Long.parseLong(args[2]) : 120) * 1_000_000_000L;
        byte[] request = grpcFrame(generateRequest(prompt, 1));
        byte[] headers = headerBlock(port);
        System.out.println("ready");
        System.out.flush();
        try (Socket s = connect(port, deadline)) {
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(out, SETTINGS, 0, 0, new byte[0]);
            frame(out, HEADERS, END_HEADERS, 1, headers);
            frame(out, DATA, END_STREAM, 1, request);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (System.nanoTime() < deadline) {
                int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                int type = in.readUnsignedByte(), flags = in.readUnsignedByte(), stream = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                if (type == SETTINGS && (flags & ACK) == 0) frame(out, SETTINGS, ACK, 0, new byte[0]);
                else if (type == PING && (flags & ACK) == 0) frame(out, PING, ACK, 0, payload);
                else if (type == GOAWAY) throw new IOException("the server sent GOAWAY");
                else if (type == DATA && stream == 1) {
                    body.write(payload);
                    long[] token = firstToken(body.toByteArray());
                    if (token != null) {
                        Instant now = Instant.now();
                        System.out.println(now.getEpochSecond() * 1_000_000_000L + now.getNano());
                        System.out.println("token " + token[0] + " text \"" + new String(body.toByteArray(), (int) token[1], (int) token[2], StandardCharsets.UTF_8) + "\"");
                        return;
                    }
                }
                if (stream == 1 && (flags & END_STREAM) != 0) throw new IOException("the call ended without a token (see the server log)");
                out.flush();
            }
            throw new IOException("no token before the deadline");
        } catch (IOException e) {
            System.err.println("GrpcFirstToken: " + e.getMessage());
            System.exit(1);
        }
    }

    /** A connection to the port, tried every 5 ms until it opens or the deadline passes. */
    static Socket connect(int port, long deadline) throws IOException, InterruptedException {
        while (true) {
            try {
                Socket s = new Socket("127.0.0.1", port);
                s.setTcpNoDelay(true);
                return s;
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(5);
            }
        }
    }

    private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length, (byte) type, (byte) flags,
                (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
        out.write(payload);
    }

    /** HPACK: :method POST and :scheme http from the static table, the rest as literals without indexing. */
    private static byte[] headerBlock(int port) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x83);
        b.write(0x86);
        literal(b, ":path", "/ember.v1.Generation/GenerateStream");
        literal(b, ":authority", "127.0.0.1:" + port);
        literal(b, "content-type", "application/grpc");
        literal(b, "te", "trailers");
        return b.toByteArray();
    }

    private static void literal(ByteArrayOutputStream b, String name, String value) {
        b.write(0x00);
        for (String s : new String[] {name, value}) {
            byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
            if (bytes.length > 126) throw new IllegalArgumentException("header too long for this encoder: " + s);
            b.write(bytes.length);
            b.writeBytes(bytes);
        }
    }

    /** ember.v1.GenerateRequest { prompt = 2; max_tokens = 4 }. */
    private static byte[] generateRequest(String prompt, int maxTokens) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] p = prompt.getBytes(StandardCharsets.UTF_8);
        b.write(0x12);
        varint(b, p.length);
        b.writeBytes(p);
        b.write(0x20);
        varint(b, maxTokens);
        return b.toByteArray();
    }

    private static void varint(ByteArrayOutputStream b, long v) {
        while ((v & ~0x7fL) != 0) {
            b.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        b.write((int) v);
    }

    private static byte[] grpcFrame(byte[] message) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(message.length >>> 24);
        b.write(message.length >>> 16);
        b.write(message.length >>> 8);
        b.write(message.length);
        b.writeBytes(message);
        return b.toByteArray();
    }

    /**
     * The first complete GenerateStreamResponse in the gRPC body that carries a token (field 2 &gt;= 0), as {token,
     * text offset, text length} (text: field 1); null while there is none yet.
     */
    private static long[] firstToken(byte[] body) {
        int at = 0;
        while (at + 5 <= body.length) {
            int length = ((body[at + 1] & 0xff) << 24) | ((body[at + 2] & 0xff) << 16) | ((body[at + 3] & 0xff) << 8) | (body[at + 4] & 0xff);
            int start = at + 5, end = start + length;
            if (end > body.length) return null;
            long token = -1, textAt = start, textLength = 0;
            int i = start;
            while (i < end) {
                long[] tag = readVarint(body, i);
                i = (int) tag[1];
                int field = (int) (tag[0] >>> 3), wire = (int) (tag[0] & 7);
                if (wire == 0) {
                    long[] v = readVarint(body, i);
                    i = (int) v[1];
                    if (field == 2) token = (int) v[0];
                } else if (wire == 2) {
                    long[] n = readVarint(body, i);
                    i = (int) n[1];
                    if (field == 1) {
                        textAt = i;
                        textLength = n[0];
                    }
                    i += (int) n[0];
                } else if (wire == 5) i += 4;
                else if (wire == 1) i += 8;
                else throw new IllegalStateException("unexpected protobuf wire type " + wire);
            }
            if (token >= 0) return new long[] {token, textAt, textLength};
            at = end;
        }
        return null;
    }

    private static long[] readVarint(byte[] b, int i) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b[i++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) return new long[] {v, i};
        }
    }
}
