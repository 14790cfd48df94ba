package io.supportlm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.io.SafetensorsWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files of a run directory that every trainer writes the same way: {@code metrics.jsonl}
 * (one JSON object per line, keys sorted), {@code checkpoints/step-NNNNNN/} with
 * {@code optimizer.safetensors} (AdamW moments by parameter name) and {@code trainer_state.json}
 * written last, atomically — its presence marks a checkpoint complete.
 */
public final class RunFiles {
    private RunFiles() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String METRICS = "metrics.jsonl";
    public static final String STATE = "trainer_state.json";
    public static final String MOMENTS = "optimizer.safetensors";

    /** The newest complete checkpoint of a run, or null. */
    public static Path latestCheckpoint(Path runDir) throws IOException {
        Path dir = runDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("step-") && Files.isRegularFile(p.resolve(STATE)))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(5))))
                    .orElse(null);
        }
    }

    /** The directory of the checkpoint at {@code step}. */
    public static Path checkpointDir(Path runDir, int step) {
        return runDir.resolve("checkpoints").resolve(String.format("step-%06d", step));
    }

    /** Writes the optimizer moments, then the state (last, atomically) into {@code dir}, which holds the adapter already. */
    public static void completeCheckpoint(Path dir, Optimizer optimizer, TrainerState state, double elapsedSeconds)
            throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter moments = new SafetensorsWriter();
        for (Map.Entry<String, float[]> e : optimizer.state().entrySet()) {
            moments.add(e.getKey(), e.getValue(), e.getValue().length);
        }
        moments.write(dir.resolve(MOMENTS));
        Path tmp = dir.resolve(STATE + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), state.toMap(elapsedSeconds));
        Files.move(tmp, dir.resolve(STATE), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a checkpoint's state and restores the optimizer's moments and step from it. */
    public static TrainerState restore(Path checkpoint, Optimizer optimizer) throws IOException {
        TrainerState state = TrainerState.read(checkpoint.resolve(STATE));
        try (SafetensorsFile moments = SafetensorsFile.open(checkpoint.resolve(MOMENTS))) {
            Map<String, float[]> saved = new LinkedHashMap<>();
            for (String name : moments.names()) {
                saved.put(name, moments.tensor(name).toFloatArray());
            }
            optimizer.restore(saved, state.step);
        }
        return state;
    }

    public static void appendMetrics(Path runDir, Map<String, Object> line) throws IOException {
        try (Writer w = Files.newBufferedWriter(runDir.resolve(METRICS), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(new TreeMap<>(line)));
            w.write('\n');
        }
    }

    /** Keeps the metrics of steps up to {@code step}: a resumed run rewrites what came after. */
    public static void truncateMetrics(Path runDir, int step) throws IOException {
        Path file = runDir.resolve(METRICS);
        if (!Files.exists(file)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank() && JSON.readTree(line).path("step").asInt() <= step) {
                kept.add(line);
            }
        }
        Files.write(file, kept);
    }

    public static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
