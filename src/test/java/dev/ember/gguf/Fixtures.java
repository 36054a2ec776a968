package dev.ember.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the shared read-only fixtures live, and listings of their GGUF files. */
final class Fixtures {
    private Fixtures() {}

    static Path root() {
        return Path.of(System.getProperty("ember.fixtures", "../shared/fixtures"));
    }

    static List<Path> ggufs(String dir) {
        try (Stream<Path> s = Files.list(root().resolve(dir))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
