package dev.ember.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Process entry point of the packaged app. Engine commands (generate, logits, tokenize, ...) run
 * straight from here without booting Quarkus: they start faster and keep the engine core free of
 * the framework. Only a server command boots Quarkus.
 */
@QuarkusMain
public final class EmberMain {
    private EmberMain() {}

    public static void main(String... args) {
        boolean training = args.length > 0 && args[0].equals("aot-train");
        if (args.length > 0 && (args[0].equals("serve") || training)) {
            try {
                ServeCommand.configure(args);
            } catch (Args.UsageException e) {
                System.err.println("ember: " + e.getMessage());
                System.err.print(Cli.USAGE);
                System.exit(2);
            }
            // SIGTERM (Kubernetes/Knative scale-down) is a normal stop: drain (ModelService), then exit 0. The
            // JVM's own SIGTERM handling would run the same shutdown but exit 143 (128 + 15).
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> Quarkus.asyncExit(0));
            if (training) {
                // The AOT cache's training run (launched by `ember aot-train` with -XX:AOTCacheOutput): the same start-up
                // as serve, then AotTraining drives requests and returns its exit code.
                Quarkus.run(AotTraining.class, (code, failure) -> {
                    if (failure != null) failure.printStackTrace();
                    System.exit(failure != null ? 1 : code);
                }, args);
                return;
            }
            Quarkus.run(args);
            return;
        }
        CliLog.install(System.err);
        int code = Cli.run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }
}
