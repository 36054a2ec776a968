package dev.ember.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.compute.cpu.WorkerPool;
import dev.ember.model.Batch;
import dev.ember.model.BlockTable;
import dev.ember.model.ComputeTarget;
import dev.ember.model.Forward;
import dev.ember.model.KvCache;
import dev.ember.model.Model;
import dev.ember.model.ModelConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * {@code ember bench}: llama-bench's two tests on one model. pp: a prompt of N random tokens in one batch
 * from an empty cache; tg: N tokens decoded one at a time from an empty cache. Each test runs once to
 * warm up, then {@code --repeat} times; t/s is reported as mean ± sample standard deviation.
 */
final class BenchCommand {
    private BenchCommand() {}

    /** Mean and sample standard deviation of a series. */
    record Stat(double mean, double sd) {
        static Stat of(double[] v) {
            double m = 0;
            for (double x : v) m += x;
            m /= v.length;
            double s = 0;
            for (double x : v) s += (x - m) * (x - m);
            return new Stat(m, v.length > 1 ? Math.sqrt(s / (v.length - 1)) : 0);
        }
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("bench", argv, 1, Set.of("--model", "--pp", "--tg", "--threads", "--repeat", "--backend", "--seed"),
                Set.of("--json"));
        String backend = Cli.checkBackend(a);
        int pp = a.getInt("--pp", 128);
        int tg = a.getInt("--tg", 64);
        int repeat = a.getInt("--repeat", 3);
        int threads = a.getInt("--threads", WorkerPool.defaultThreads());
        if (pp < 0 || tg < 0 || (pp == 0 && tg == 0)) throw new Args.UsageException("bench: --pp and --tg must be >= 0, one of them > 0");
        if (repeat < 1) throw new Args.UsageException("bench: --repeat must be >= 1");
        if (threads < 1) throw new Args.UsageException("bench: --threads must be >= 1");
        Path path = Cli.modelPath(a, err);
        try (Model model = Model.load(path); WorkerPool pool = new WorkerPool(threads);
             ComputeTarget target = ComputeTarget.open(backend)) {
            ModelConfig c = model.config();
            Cli.warn(err, target.warning());
            int ctx = Math.max(pp, tg + 1);
            KvCache cache = target.kvStorage(c, 16, (ctx + 15) / 16);
            Forward runner = target.forward(c, model.weights(), cache, cache, pool);
            Random rnd = new Random(a.getLong("--seed", 1234));
            double[] ppTps = pp > 0 ? measure(repeat, () -> prompt(runner, cache, rnd, pp, c.vocabSize()), pp) : null;
            double[] tgTps = tg > 0 ? measure(repeat, () -> decode(runner, cache, rnd, tg, c.vocabSize()), tg) : null;
            long fileBytes = fileSize(path);
            long params = paramCount(model);
            if (a.has("--json")) {
                ObjectNode o = Json.mapper().createObjectNode();
                o.put("model", path.getFileName().toString());
                o.put("size_bytes", fileBytes);
                o.put("params", params);
                o.put("backend", target.description());
                o.put("threads", threads);
                o.put("repeat", repeat);
                if (ppTps != null) {
                    Stat s = Stat.of(ppTps);
                    o.putObject("pp_tps").put("n", pp).put("mean", s.mean()).put("sd", s.sd()).putPOJO("runs", ppTps);
                }
                if (tgTps != null) {
                    Stat s = Stat.of(tgTps);
                    o.putObject("tg_tps").put("n", tg).put("mean", s.mean()).put("sd", s.sd()).putPOJO("runs", tgTps);
                }
                o.put("peak_rss_bytes", peakRss());
                out.println(Json.write(o));
            } else {
                out.println("| model | size | params | backend | threads | test | t/s |");
                out.println("| --- | ---: | ---: | --- | ---: | ---: | ---: |");
                String name = path.getFileName().toString();
                String size = String.format(Locale.ROOT, "%.2f MiB", fileBytes / 1048576.0);
                String prm = String.format(Locale.ROOT, "%.2f M", params / 1e6);
                if (ppTps != null) row(out, name, size, prm, backend, threads, "pp" + pp, Stat.of(ppTps));
                if (tgTps != null) row(out, name, size, prm, backend, threads, "tg" + tg, Stat.of(tgTps));
            }
            return 0;
        }
    }

    private static void row(PrintStream out, String name, String size, String params, String backend, int threads, String test, Stat s) {
        out.printf(Locale.ROOT, "| %s | %s | %s | %s | %d | %s | %.2f ± %.2f |%n", name, size, params, backend, threads, test, s.mean(), s.sd());
    }

    /** One warm-up, then {@code repeat} timed runs; returns tokens per second of each. */
    private static double[] measure(int repeat, Runnable run, int tokens) {
        run.run();
        double[] tps = new double[repeat];
        for (int r = 0; r < repeat; r++) {
            long t0 = System.nanoTime();
            run.run();
            tps[r] = tokens / ((System.nanoTime() - t0) / 1e9);
        }
        return tps;
    }

    private static void prompt(Forward runner, KvCache cache, Random rnd, int n, int vocab) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = rnd.nextInt(vocab);
        BlockTable t = new BlockTable(cache);
        try {
            t.reserve(n);
            runner.forward(Batch.ofSequence(tokens, 0, t, false, Batch.exact(0, tokens.length)));
        } finally {
            t.release();
        }
    }

    private static void decode(Forward runner, KvCache cache, Random rnd, int n, int vocab) {
        BlockTable t = new BlockTable(cache);
        try {
            t.reserve(n);
            int[] one = new int[1];
            for (int i = 0; i < n; i++) {
                one[0] = rnd.nextInt(vocab);
                runner.forward(Batch.ofSequence(one, i, t, false, true));
            }
        } finally {
            t.release();
        }
    }

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static long paramCount(Model m) {
        long n = 0;
        for (var t : m.file().tensors()) n += t.elementCount();
        return n;
    }

    /** VmHWM from /proc/self/status (Linux), in bytes; -1 where unavailable. */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
