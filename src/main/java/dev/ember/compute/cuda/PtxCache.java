package dev.ember.compute.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Supplier;

/**
 * Compiled PTX on disk, one file per compilation: {@code <dir>/<sha256>.ptx} where the hash covers the
 * CUDA C source, the target architecture and the NVRTC version, so a changed kernel, device or compiler
 * never reuses stale PTX. Files are written to a temporary name and moved into place, so concurrent
 * processes never read a partial file. The directory is {@code ember.cuda.cache-dir}, default
 * {@code ~/.cache/ember/cuda}.
 */
final class PtxCache {
    static final String PROPERTY = "ember.cuda.cache-dir";

    private final Path dir;

    PtxCache(Path dir) {
        this.dir = dir;
    }

    /** The cache in {@code ember.cuda.cache-dir}, or {@code ~/.cache/ember/cuda}. */
    static PtxCache configured() {
        String configured = System.getProperty(PROPERTY);
        Path dir = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "ember", "cuda");
        return new PtxCache(dir);
    }

    Path dir() {
        return dir;
    }

    /** The file name stem for this compilation: hex SHA-256 of source, architecture and NVRTC version. */
    static String key(String source, String arch, String nvrtcVersion) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {source, arch, nvrtcVersion}) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                sha.update(ByteBuffer.allocate(8).putLong(bytes.length).array()); // length-prefixed: no ambiguous concatenations
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    Path path(String key) {
        return dir.resolve(key + ".ptx");
    }

    /** The cached PTX for {@code key}, or {@code compile}'s result, stored for next time. */
    byte[] get(String key, Supplier<byte[]> compile) {
        Path file = path(key);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            // not compiled yet
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cached PTX " + file, e);
        }
        byte[] ptx = compile.get();
        store(file, ptx);
        return ptx;
    }

    private void store(Path file, byte[] ptx) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, ptx);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the PTX cache " + file + " (set -D" + PROPERTY + " to a writable folder)", e);
        }
    }
}
