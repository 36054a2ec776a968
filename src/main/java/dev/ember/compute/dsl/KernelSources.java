package dev.ember.compute.dsl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the {@link KernelTranslator} reads kernel class sources: the text of {@code pkg/Name.java} for a
 * qualified class name. Kernel sources travel as classpath resources (the {@code kernels/} directory is
 * packaged with the app); tests may read a source directory instead.
 */
@FunctionalInterface
public interface KernelSources {
    /** The source of the top-level class {@code qualifiedName}, or empty when this place has none. */
    Optional<String> find(String qualifiedName);

    /** Sources as resources {@code pkg/Name.java} of {@code loader}. */
    static KernelSources classpath(ClassLoader loader) {
        return qualifiedName -> {
            try (InputStream in = loader.getResourceAsStream(path(qualifiedName))) {
                return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("reading the source of " + qualifiedName, e);
            }
        };
    }

    /** Sources as files {@code root/pkg/Name.java}. */
    static KernelSources directory(Path root) {
        return qualifiedName -> {
            Path file = root.resolve(path(qualifiedName));
            if (!Files.isRegularFile(file)) return Optional.empty();
            try {
                return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + file, e);
            }
        };
    }

    /** This place first, then {@code other}. */
    default KernelSources orElse(KernelSources other) {
        return qualifiedName -> find(qualifiedName).or(() -> other.find(qualifiedName));
    }

    private static String path(String qualifiedName) {
        return qualifiedName.replace('.', '/') + ".java";
    }
}
