package dev.ember.compute.dsl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The C compilers on this machine that can check translated kernels: an OpenCL-capable clang, nvcc/ptxas, a host C compiler. */
final class DeviceCompilers {
    static final Path CUDA_BIN = Path.of("/usr/local/cuda-13.0/bin");

    private DeviceCompilers() {}

    /** The newest /usr/lib/llvm-N/bin/clang, else a clang on the PATH. */
    static Optional<Path> clang() {
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
            Optional<Path> llvm = dirs.filter(d -> d.getFileName().toString().matches("llvm-\\d+"))
                    .max(Comparator.comparingInt(d -> Integer.parseInt(d.getFileName().toString().substring(5))))
                    .map(d -> d.resolve("bin/clang"))
                    .filter(Files::isExecutable);
            if (llvm.isPresent()) return llvm;
        } catch (IOException e) {
            // no /usr/lib listing: fall through to the PATH
        }
        return onPath("clang");
    }

    static Optional<Path> nvcc() {
        Path p = CUDA_BIN.resolve("nvcc");
        return Files.isExecutable(p) && Files.isExecutable(CUDA_BIN.resolve("ptxas")) ? Optional.of(p) : Optional.empty();
    }

    /** A C compiler for host programs. */
    static Optional<Path> hostCc() {
        return onPath("cc").or(() -> onPath("gcc")).or(DeviceCompilers::clang);
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String dir : path.split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** What a finished command said. */
    record Result(int exit, String output) {}

    static Result run(Path workDir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
