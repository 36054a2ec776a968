package dev.ember.compute.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Checks CUDA C without a GPU: {@code nvcc -ptx -arch=sm_90} compiles it to PTX, {@code ptxas -arch=sm_90}
 * assembles the PTX, so both the C and the generated PTX are known good for an H100. A failure throws
 * with the tool's output (the compiler's error lines).
 */
final class PtxCheck {
    static final Path BIN = Path.of("/usr/local/cuda-13.0/bin");
    static final String ARCH = "sm_90";

    private PtxCheck() {}

    /** Whether nvcc and ptxas are installed here. */
    static boolean available() {
        return Files.isExecutable(BIN.resolve("nvcc")) && Files.isExecutable(BIN.resolve("ptxas"));
    }

    /**
     * Compiles and assembles {@code source} (named {@code name}.cu in messages) and returns the PTX.
     *
     * @throws IllegalStateException naming the failing tool, with its output
     */
    static String check(String name, String source) {
        return inTempDir(dir -> {
            Path cu = dir.resolve(name + ".cu");
            Path ptx = dir.resolve(name + ".ptx");
            Files.writeString(cu, source);
            run(List.of(BIN.resolve("nvcc").toString(), "-ptx", "-arch=" + ARCH, cu.toString(), "-o", ptx.toString()), dir);
            String text = Files.readString(ptx);
            assemble(dir, name, text);
            return text;
        });
    }

    /**
     * Assembles PTX text (from NVRTC, a file, a test) with {@code ptxas -arch=sm_90}.
     *
     * @throws IllegalStateException with the assembler's output when it is rejected
     */
    static void assemble(String name, String ptx) {
        inTempDir(dir -> {
            assemble(dir, name, ptx);
            return null;
        });
    }

    private static void assemble(Path dir, String name, String ptx) throws IOException {
        Path file = dir.resolve(name + ".ptx");
        Files.writeString(file, ptx);
        run(List.of(BIN.resolve("ptxas").toString(), "-arch=" + ARCH, file.toString(), "-o", dir.resolve(name + ".cubin").toString()), dir);
    }

    private interface InDir<T> {
        T run(Path dir) throws IOException;
    }

    private static <T> T inTempDir(InDir<T> body) {
        Path dir;
        try {
            dir = Files.createTempDirectory("ptxcheck");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary folder", e);
        }
        try {
            return body.run(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run the CUDA tools in " + dir, e);
        } finally {
            delete(dir);
        }
    }

    private static void run(List<String> command, Path dir) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output;
        try {
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 120 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command.getFirst(), e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(Path.of(command.getFirst()).getFileName() + " failed (exit " + p.exitValue() + "):\n" + output.strip());
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary folder is harmless
        }
    }
}
