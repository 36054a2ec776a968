package dev.ember.compute.opencl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;


/**
 * Program binaries on disk, so a device compiles each kernel program once, not on every start. An entry
 * is keyed by the SHA-256 of the source, the device name, the driver version and the build options, and
 * lives in {@code <dir>/<key hex>.clbin}: a header (magic, format version, the key, the binary's SHA-256
 * and length) then the binary. An entry that is truncated, altered or made for another key is ignored
 * with a log line; the program is then built from source and the entry rewritten.
 */
final class OpenClProgramCache {
    private static final System.Logger LOG = System.getLogger(OpenClProgramCache.class.getName());
    private static final byte[] MAGIC = "EMBERCL\0".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;
    private static final int HEADER = MAGIC.length + 4 + 32 + 32 + 8;

    private final Path dir;

    OpenClProgramCache(Path dir) {
        this.dir = dir;
    }

    static byte[] key(String source, String deviceName, String driverVersion, String buildOptions) {
        MessageDigest sha = sha256();
        for (String part : new String[] {source, deviceName, driverVersion, buildOptions}) {
            byte[] b = part.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(8).putLong(b.length).array());
            sha.update(b);
        }
        return sha.digest();
    }

    Path path(byte[] key) {
        return dir.resolve(HexFormat.of().formatHex(key) + ".clbin");
    }

    /** The binary stored under {@code key}, if there is a valid entry. */
    Optional<byte[]> load(byte[] key) {
        Path file = path(key);
        if (!Files.isRegularFile(file)) return Optional.empty();
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, () -> String.format(java.util.Locale.ROOT, "ignoring OpenCL program cache entry %s: %s", file, e.toString()));
            return Optional.empty();
        }
        String problem = check(all, key);
        if (problem != null) {
            LOG.log(System.Logger.Level.INFO, () -> String.format(java.util.Locale.ROOT, "ignoring OpenCL program cache entry %s: %s; rebuilding from source", file, problem));
            return Optional.empty();
        }
        return Optional.of(Arrays.copyOfRange(all, HEADER, all.length));
    }

    private static String check(byte[] all, byte[] key) {
        if (all.length < HEADER) return "truncated (" + all.length + " bytes)";
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) return "not an Ember program cache file";
        int format = b.getInt();
        if (format != FORMAT) return "format " + format + ", expected " + FORMAT;
        byte[] storedKey = new byte[32];
        b.get(storedKey);
        if (!Arrays.equals(storedKey, key)) return "made for another source, device, driver or build options";
        byte[] digest = new byte[32];
        b.get(digest);
        long length = b.getLong();
        if (length != all.length - HEADER) return "binary length " + length + " but " + (all.length - HEADER) + " bytes follow the header";
        MessageDigest sha = sha256();
        sha.update(all, HEADER, all.length - HEADER);
        if (!Arrays.equals(sha.digest(), digest)) return "binary checksum mismatch";
        return null;
    }

    /** Stores {@code binary} under {@code key} (atomically: readers see the old entry or the new one); a failure to write is logged, not thrown. */
    void store(byte[] key, byte[] binary) {
        Path file = path(key);
        ByteBuffer b = ByteBuffer.allocate(HEADER + binary.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT).put(key).put(sha256().digest(binary)).putLong(binary.length).put(binary);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.write(tmp, b.array());
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, () -> String.format(java.util.Locale.ROOT, "could not write OpenCL program cache entry %s: %s", file, e.toString()));
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temp file stays; the next store writes a new one
                }
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
