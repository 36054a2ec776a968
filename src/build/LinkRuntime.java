import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.attribute.ModuleResolutionAttribute;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.tools.jlink.internal.PluginRepository;
import jdk.tools.jlink.plugin.Plugin;
import jdk.tools.jlink.plugin.ResourcePool;
import jdk.tools.jlink.plugin.ResourcePoolBuilder;

/**
 * Links Ember's Java runtime (target/runtime): the JDK that runs this program, relinked with jlink, every module but
 * jlink's own, with one change: the module descriptor of {@code jdk.incubator.vector} loses its "warn incubating"
 * resolution flag. Its classes are the JDK's, byte for byte.
 *
 * <p>Why: Java 25 archives the boot layer's module graph in an AOT cache only when no resolved module carries that
 * flag ({@code jdk.internal.module.ModuleBootstrap}), and without the archived graph the cache holds no AOT-linked
 * classes either. Ember resolves the Vector API, so on a stock JDK its cache loses both, about 0.3 s of every start
 * (perf/RESULTS.md, thirteenth session). The runtime this program links keeps them. A JVM that restores the module
 * graph from a cache never defines {@code jdk.incubator.vector} at run time, and HotSpot turns the Vector API's
 * intrinsics on ({@code EnableVectorSupport}) only when it sees that module defined: the launcher therefore passes
 * {@code -XX:+EnableVectorSupport} and its two companions itself (without them the kernels run 5-300x slower).
 *
 * <p>Run by {@code ./mvnw package} (profile aot-cache) and the container build, with jlink's internals opened:
 * <pre>java --add-modules jdk.jlink --add-exports jdk.jlink/jdk.tools.jlink.plugin=ALL-UNNAMED \
 *     --add-exports jdk.jlink/jdk.tools.jlink.internal=ALL-UNNAMED src/build/LinkRuntime.java OUTPUT_DIR</pre>
 * Leaves OUTPUT_DIR alone when its stamp says it was linked from this same JDK by this same program. When jlink fails
 * (a JDK that has neither a linkable run-time image nor jmods) it says so and leaves no OUTPUT_DIR; the launcher then
 * runs JAVA_HOME's java.
 */
public final class LinkRuntime {
    /** ModuleResolution flag bit "warn incubating" (JVMS module-resolution attribute, as jmod --warn-if-resolved writes it). */
    static final int WARN_INCUBATING = 0x0008;
    static final String VECTOR_MODULE_INFO = "/jdk.incubator.vector/module-info.class";
    static final String STAMP = "ember-runtime.stamp";
    /** Bumped whenever what this program links changes, so that an older target/runtime is relinked. */
    static final int FORMAT = 1;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: LinkRuntime OUTPUT_DIR");
            System.exit(2);
        }
        Path out = Path.of(args[0]).toAbsolutePath();
        // Every module of this JDK but the linker's own (a run-time-image link may not include jdk.jlink).
        List<String> modules = java.lang.module.ModuleFinder.ofSystem().findAll().stream()
                .map(m -> m.descriptor().name())
                .filter(n -> !n.equals("jdk.jlink") && !n.equals("jdk.jpackage"))
                .sorted().toList();
        String stamp = "format: " + FORMAT + "\n"
                + "jdk: " + System.getProperty("java.home") + " " + System.getProperty("java.runtime.version") + "\n"
                + "modules: " + String.join(",", modules) + "\n";
        Path stampFile = out.resolve(STAMP);
        if (Files.isRegularFile(stampFile) && Files.readString(stampFile).equals(stamp) && Files.isExecutable(out.resolve("bin/java"))) {
            System.out.println("LinkRuntime: " + out + " is up to date");
            return;
        }
        deleteTree(out);
        PluginRepository.registerPlugin(new ClearIncubating());
        ToolProvider jlink = ToolProvider.findFirst("jlink").orElseThrow(() -> new IllegalStateException("this JDK has no jlink"));
        List<String> jlinkArgs = List.of("--ember-clear-incubating", "--add-modules", String.join(",", modules),
                "--no-man-pages", "--no-header-files", "--generate-cds-archive", "--output", out.toString());
        int rc = jlink.run(System.out, System.err, jlinkArgs.toArray(String[]::new));
        if (rc != 0) {
            // Not fatal for the build: some JDK packages can link neither from their run-time image nor from jmods (no
            // jmods installed). ./ember then runs JAVA_HOME's java, whose AOT cache lacks the module graph.
            deleteTree(out);
            System.err.println("LinkRuntime: jlink failed (exit " + rc + "); no " + out + ": ./ember will run JAVA_HOME's java,"
                    + " and its AOT cache cannot hold Java's module graph (about 0.3 s slower starts)");
            return;
        }
        Files.writeString(stampFile, stamp);
        System.out.println("LinkRuntime: linked " + out + " (" + modules.size() + " modules; jdk.incubator.vector without its incubating flag)");
    }

    /** The jlink plugin: rewrites jdk.incubator.vector's module-info.class with the WARN_INCUBATING bit cleared. */
    static final class ClearIncubating implements Plugin {
        @Override
        public String getName() {
            return "ember-clear-incubating";
        }

        /**
         * Before every TRANSFORMER: jlink's own system-modules plugin (a TRANSFORMER) compiles the module descriptors into
         * java.base's SystemModules classes, which is where the runtime reads the flag from.
         */
        @Override
        public Category getType() {
            return Category.FILTER;
        }

        @Override
        public String getDescription() {
            return "clears the incubating warning flag of jdk.incubator.vector's module descriptor";
        }

        @Override
        public ResourcePool transform(ResourcePool in, ResourcePoolBuilder out) {
            boolean[] seen = {false};
            in.transformAndCopy(e -> {
                if (!e.path().equals(VECTOR_MODULE_INFO)) return e;
                seen[0] = true;
                return e.copyWithContent(clear(e.contentBytes()));
            }, out);
            if (!seen[0]) throw new IllegalStateException("jdk.incubator.vector is not in the image");
            return out.build();
        }

        static byte[] clear(byte[] moduleInfo) {
            ClassFile cf = ClassFile.of();
            ClassModel m = cf.parse(moduleInfo);
            ModuleResolutionAttribute old = m.findAttribute(java.lang.classfile.Attributes.moduleResolution())
                    .orElseThrow(() -> new IllegalStateException("jdk.incubator.vector has no ModuleResolution attribute"));
            int flags = old.resolutionFlags() & ~WARN_INCUBATING;
            return cf.transformClass(m, (b, el) -> {
                if (el instanceof ModuleResolutionAttribute) b.with(ModuleResolutionAttribute.of(flags));
                else b.with(el);
            });
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) Files.delete(q);
        }
    }
}
