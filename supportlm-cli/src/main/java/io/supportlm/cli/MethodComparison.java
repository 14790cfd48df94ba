package io.supportlm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.classify.ClassifierTrainer;
import io.supportlm.eval.ReportWriter;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.io.TensorInfo;
import io.supportlm.kernels.Peak;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * LoRA, QLoRA and prompt tuning on the same data, seed and encoder, side by side: test accuracy
 * and macro-F1 per task, training time and tokens/s, the matmul throughput that implies against
 * the machine's measured peak, trainable parameters, adapter size on disk, and peak memory. Each
 * method trains in a fresh JVM (the same java, flags and class path as this one), so a method's
 * peak resident memory is not the high-water mark its predecessors left behind.
 */
final class MethodComparison {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MethodComparison() {}

    static int run(String dataset, String encoder, Path datasets, Path work, int epochs, List<String> methods,
                   List<String> overrides) throws Exception {
        double peak = Peak.gflops(5, 200);
        System.out.printf("measured f32 FMA peak: %.1f GFLOP/s%n", peak);
        Path results = work.resolve("results");
        Files.createDirectories(results);
        List<JsonNode> rows = new ArrayList<>();
        for (String method : methods) {
            Path json = results.resolve("bench-" + dataset + "-" + encoder + "-" + method + ".json");
            Files.deleteIfExists(json);
            List<String> command = new ArrayList<>(javaCommand());
            command.addAll(List.of("bench", "classify", "--dataset", dataset, "--encoder", encoder, "--epochs",
                    Integer.toString(epochs), "--work", work.toString(), "--methods", method, "--result-json", json.toString()));
            if (datasets != null) {
                command.addAll(List.of("--datasets", datasets.toString()));
            }
            for (String o : overrides) {
                command.addAll(List.of("--set", o));
            }
            System.out.println("\n## " + method);
            int rc = new ProcessBuilder(command).inheritIO().start().waitFor();
            if (rc != 0 || !Files.isRegularFile(json)) {
                throw new IllegalStateException("the " + method + " run failed (exit " + rc + "); its output is above");
            }
            rows.add(JSON.readTree(json.toFile()));
        }
        String table = table(dataset, encoder, epochs, peak, rows);
        System.out.println("\n" + table);
        Path md = results.resolve("bench-" + dataset + "-" + encoder + "-methods.md");
        Files.writeString(md, table);
        System.out.println("written: " + md);
        return 0;
    }

    /** This JVM's own command line up to the main class: java, its flags and class path. */
    private static List<String> javaCommand() {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot find this JVM's executable to start the method runs"));
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return command;
    }

    /** Writes a single method's numbers for the comparing parent. */
    static void writeResult(Path file, String method, ClassifierTrainer.Result r, ReportWriter.WrittenReport report,
                            Path model) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("method", method);
        o.put("train_seconds", r.seconds());
        o.put("tokens", r.tokens());
        o.put("steps", r.steps());
        o.put("trainable_parameters", r.trainableParameters());
        o.put("adapter_bytes", directoryBytes(r.adapterDir()));
        o.put("linear_parameters", linearParameters(model.resolve("model.safetensors")));
        o.put("peak_rss_bytes", PeakMemory.peakRssBytes());
        o.put("peak_live_heap_bytes", PeakMemory.peakLiveHeapBytes());
        JsonNode metrics = JSON.readTree(report.metricsJson().toFile());
        ObjectNode tasks = o.putObject("tasks");
        metrics.path("tasks").properties().forEach(e -> {
            ObjectNode t = tasks.putObject(e.getKey());
            t.put("accuracy", e.getValue().path("accuracy").asDouble());
            t.put("macro_f1", e.getValue().path("macro_f1").asDouble());
        });
        JSON.writeValue(file.toFile(), o);
    }

    /**
     * Parameters of the encoder's linear layers (2-D weights outside the embeddings and the unused
     * pooler): what every token multiplies through.
     */
    static long linearParameters(Path safetensors) {
        long n = 0;
        try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
            for (TensorInfo t : f.entries().values()) {
                if (t.shape().length == 2 && !t.name().contains("embeddings") && !t.name().contains("pooler")) {
                    n += t.elementCount();
                }
            }
        }
        return n;
    }

    static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long sum = 0;
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }

    /**
     * The comparison as Markdown. Matmul throughput counts what a frozen-base step must multiply:
     * 2 FLOPs per linear parameter per token forward and 2 more for the input gradient backward
     * (the frozen weights get no gradient; adapters and attention are left out, so it is a floor).
     */
    static String table(String dataset, String encoder, int epochs, double peak, List<JsonNode> rows) {
        List<String> tasks = new ArrayList<>();
        rows.get(0).path("tasks").fieldNames().forEachRemaining(tasks::add);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "### %s with %s, %d epoch%s (matmul peak %.1f GFLOP/s)%n%n", dataset, encoder,
                epochs, epochs == 1 ? "" : "s", peak));
        md.append("| method |");
        tasks.forEach(t -> md.append(" ").append(t).append(" accuracy | ").append(t).append(" macro-F1 |"));
        md.append(" train s | tokens/s | matmul GFLOP/s (% peak) | trainable params | adapter | peak RSS | peak live heap |\n|---|");
        tasks.forEach(t -> md.append("---:|---:|"));
        md.append("---:|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode r : rows) {
            double seconds = r.path("train_seconds").asDouble();
            double tokensPerSecond = r.path("tokens").asDouble() / Math.max(1e-9, seconds);
            double gflops = 4.0 * r.path("linear_parameters").asDouble() * tokensPerSecond / 1e9;
            md.append("| ").append(r.path("method").asText()).append(" |");
            for (String t : tasks) {
                JsonNode m = r.path("tasks").path(t);
                md.append(String.format(Locale.ROOT, " %.2f%% | %.4f |", 100 * m.path("accuracy").asDouble(),
                        m.path("macro_f1").asDouble()));
            }
            md.append(String.format(Locale.ROOT, " %.0f | %.0f | %.1f (%.0f%%) | %,d | %s | %s | %s |%n", seconds, tokensPerSecond,
                    gflops, 100 * gflops / peak, r.path("trainable_parameters").asLong(), mib(r.path("adapter_bytes").asLong()),
                    mib(r.path("peak_rss_bytes").asLong()), mib(r.path("peak_live_heap_bytes").asLong())));
        }
        md.append("\nMatmul GFLOP/s = 4 × linear parameters × tokens/s (forward and input gradient of the frozen base; "
                + "a floor). Peak live heap: the most the heap held right after a garbage collection (what the run needed); "
                + "peak RSS also counts the mapped weights and the heap the collector let grow.\n");
        return md.toString();
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
