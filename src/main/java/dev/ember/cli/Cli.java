package dev.ember.cli;

import dev.ember.gguf.GgufFormatException;
import dev.ember.hub.HubException;
import dev.ember.hub.HubReference;
import dev.ember.hub.HubSettings;
import dev.ember.hub.ModelLocator;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code ./ember COMMAND [options]}. Exit status: 0 success, 1 failure (bad model file, bad input),
 * 2 usage error. Errors print one line naming the problem, never a bare stack trace.
 */
public final class Cli {
    private Cli() {}

    static final String USAGE = """
            usage: ember COMMAND [options]
              serve     --model F [--port 8080] [--host H] [--model-name N] [--api-key K] [--ctx-size C]
                        [--chat-template F.jinja] [--threads K] [--max-num-seqs 64] [--max-num-batched-tokens 512]
                        [--kv-cache-tokens T | --kv-cache-memory 2G] [--enable-prefix-caching true] [--max-queue 256]
                        [--idle-unload-seconds 0] [--drain-timeout 30s] [--backend B]
              generate  --model F --prompt P [--max-tokens N] [--temperature T] [--seed S] [--top-k K] [--top-p P]
                        [--min-p P] [--repeat-penalty R] [--presence-penalty P] [--frequency-penalty P]
                        [--ignore-eos] [--ctx-size C] [--threads K] [--backend cpu|java|opencl|cuda] [--json]
              logits    --model F (--prompt P | --tokens 1,2,3) [--threads K] [--backend B] --json
              tokenize  --model F --text T [--no-special] [--json]
              bench     --model F [--pp 128] [--tg 64] [--threads T] [--repeat 3] [--backend B] [--json]
              template  --template F.jinja --conversation C.json [--bos S] [--eos S]
              make-model --shape llama-1b|qwen2-0.5b|tiny --quant f32|f16|q8_0|q4_0|q4_k_m|q6_k --out F [--seed S] [--vocab F | --fixtures DIR]
                        (random N(0,0.02) weights; qwen2-0.5b has GPT-2's 50257-token vocab, not Qwen's)
              aot-train --model F [serve options]   (the AOT cache's training run; ./mvnw package runs it)
            --model F: a GGUF file, or hf://OWNER/REPO/FILE[@REVISION] downloaded once into the cache
              (-Dember.hub-url / HF_ENDPOINT, -Dember.cache-dir / EMBER_CACHE, HF_TOKEN, HF_HUB_OFFLINE=1)
            """;

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        try {
            return switch (command) {
                case "generate" -> GenerateCommand.run(args, out, err);
                case "logits" -> LogitsCommand.run(args, out, err);
                case "tokenize" -> TokenizeCommand.run(args, out, err);
                case "template" -> TemplateCommand.run(args, out, err);
                case "make-model" -> MakeModelCommand.run(args, out);
                case "bench" -> BenchCommand.run(args, out, err);
                default -> throw new Args.UsageException("unknown command '" + command + "'");
            };
        } catch (Args.UsageException e) {
            err.println("ember: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (HubException e) {
            err.println("ember: " + e.getMessage());
            return 1;
        } catch (dev.ember.compute.BackendUnavailableException e) {
            err.println("ember: " + command + ": backend unavailable: " + e.getMessage());
            return 1;
        } catch (GgufFormatException e) {
            err.println("ember: bad model file: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("ember: " + command + ": " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("ember: " + command + ": out of memory (" + e.getMessage() + "); try a smaller --ctx-size");
            return 1;
        } catch (RuntimeException e) {
            err.println("ember: " + command + " failed: " + e + " at " + Arrays.toString(Arrays.copyOf(e.getStackTrace(), 3)));
            return 1;
        }
    }

    /**
     * The local file for {@code --model}: a path, or {@code hf://OWNER/REPO/FILE[@REVISION]} fetched into the
     * hub cache (settings from -Dember.hub-url / -Dember.cache-dir / -Dember.hub-offline and the environment,
     * see {@link HubSettings#fromSystem()}); download progress goes to {@code err}.
     */
    static Path modelPath(Args a, PrintStream err) {
        String model = a.require("--model");
        if (!HubReference.isReference(model)) return Path.of(model);
        HubSettings s = HubSettings.fromSystem();
        return ModelLocator.resolve(model, s.withLog(err, s.terminal() && err == System.err));
    }

    /** Prints {@code warning} (e.g. {@code ComputeTarget.warning()}) on {@code err} as "ember: warning: ...", if there is one. */
    static void warn(PrintStream err, String warning) {
        if (warning != null) err.println("ember: warning: " + warning);
    }

    /** The {@code --backend} option: cpu (default), java, opencl or cuda; an unknown name is a usage error. */
    static String checkBackend(Args a) {
        String b = a.get("--backend");
        if (b == null) return dev.ember.model.ComputeTarget.CPU;
        if (!b.equals(dev.ember.model.ComputeTarget.CPU) && !dev.ember.compute.Backends.NAMES.contains(b)) {
            throw new Args.UsageException("unknown backend '" + b + "' (expected cpu, " + String.join(", ", dev.ember.compute.Backends.NAMES) + ")");
        }
        return b;
    }
}
