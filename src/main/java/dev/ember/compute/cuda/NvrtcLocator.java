package dev.ember.compute.cuda;

import dev.ember.compute.BackendUnavailableException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds the NVRTC library: the {@code ember.cuda.nvrtc} property (a file or a library name) when set;
 * otherwise {@code libnvrtc.so}, {@code libnvrtc.so.13}, {@code libnvrtc.so.12} on the loader's search
 * path, then {@code libnvrtc.so*} under {@code /usr/local/cuda*}{@code /lib64}, {@code /lib} and
 * {@code /targets/x86_64-linux/lib} (newest toolkit first). Loaded from a directory, NVRTC's companion
 * {@code libnvrtc-builtins.so*} there is loaded first, so NVRTC finds it without {@code LD_LIBRARY_PATH}.
 */
final class NvrtcLocator {
    static final String PROPERTY = "ember.cuda.nvrtc";
    private static final List<String> NAMES = List.of("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12");
    private static final List<String> LIBRARY_DIRS = List.of("lib64", "lib", "targets/x86_64-linux/lib");

    /** A loaded NVRTC: what was loaded (name or path) and its symbols. */
    record Found(String library, SymbolLookup symbols) {}

    private NvrtcLocator() {}

    /**
     * @throws BackendUnavailableException naming everything tried when no candidate loads
     */
    static Found find() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Found f = tryLoad(configured);
            if (f == null) throw new BackendUnavailableException(configured + " (" + PROPERTY + ") could not be loaded as NVRTC");
            return f;
        }
        List<String> candidates = candidates(installRoots(Path.of("/usr/local")));
        for (String c : candidates) {
            Found f = tryLoad(c);
            if (f != null) return f;
        }
        throw new BackendUnavailableException("NVRTC not found (tried " + String.join(", ", candidates)
                + "): install the CUDA toolkit's NVRTC or set -D" + PROPERTY + "=/path/to/libnvrtc.so");
    }

    /** The names to try in order: the plain library names, then every {@code libnvrtc.so*} file in the toolkits' library folders. */
    static List<String> candidates(List<Path> toolkitRoots) {
        List<String> out = new ArrayList<>(NAMES);
        for (Path root : toolkitRoots) {
            for (String sub : LIBRARY_DIRS) {
                Path dir = root.resolve(sub);
                if (!Files.isDirectory(dir)) continue;
                List<Path> libs = list(dir, "libnvrtc.so*");
                libs.sort(Comparator.comparing(Path::toString));
                for (Path p : libs) {
                    String s = p.toString();
                    if (!out.contains(s)) out.add(s);
                }
            }
        }
        return out;
    }

    /** {@code /usr/local/cuda*} folders, newest version first ({@code cuda} itself, usually a link to the default, leads). */
    static List<Path> installRoots(Path parent) {
        List<Path> roots = list(parent, "cuda*");
        roots.removeIf(p -> !Files.isDirectory(p));
        roots.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().equals("cuda"))
                .thenComparing(p -> p.getFileName().toString(), NvrtcLocator::compareVersionsDescending));
        return roots;
    }

    private static int compareVersionsDescending(String a, String b) {
        String[] x = a.replaceAll("[^0-9.]", "").split("\\.");
        String[] y = b.replaceAll("[^0-9.]", "").split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length && !x[i].isEmpty() ? Integer.parseInt(x[i]) : -1;
            int yi = i < y.length && !y[i].isEmpty() ? Integer.parseInt(y[i]) : -1;
            if (xi != yi) return Integer.compare(yi, xi);
        }
        return b.compareTo(a);
    }

    private static List<Path> list(Path dir, String glob) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
            for (Path p : s) out.add(p);
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    private static Found tryLoad(String library) {
        if (library.contains("/")) {
            Path dir = Path.of(library).getParent();
            if (dir != null) {
                for (Path builtins : list(dir, "libnvrtc-builtins.so*")) {
                    try {
                        SymbolLookup.libraryLookup(builtins, Arena.global());
                    } catch (IllegalArgumentException e) {
                        // not loadable (wrong architecture, broken link): NVRTC reports it if it needs it
                    }
                }
            }
        }
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
            return lookup.find("nvrtcCompileProgram").isPresent() ? new Found(library, lookup) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
