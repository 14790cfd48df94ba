package io.supportlm.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face model: one {@code model.safetensors}, or a sharded set described by
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name → shard file name, shards
 * in the same directory). All shards are mapped at open (mapping is cheap; reading is lazy).
 *
 * <p>The index is checked against the shards: every shard it names exists and lies in the
 * directory, every tensor it maps is in that shard, and no tensor appears in two shards. As in
 * transformers, tensors present in a shard but absent from the map are still loaded.
 */
public final class Checkpoint implements WeightStore {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path source;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byName; // sorted
    private final Map<String, String> metadata;

    private Checkpoint(Path source, List<SafetensorsFile> shards, Map<String, SafetensorsFile> byName,
            Map<String, String> metadata) {
        this.source = source;
        this.shards = shards;
        this.byName = byName;
        this.metadata = metadata;
    }

    /**
     * Opens a model directory (its index if present, else {@code model.safetensors}), an index file,
     * or a single {@code .safetensors} file.
     */
    public static Checkpoint open(Path path) {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_FILE);
            Path single = path.resolve(SINGLE_FILE);
            if (Files.isRegularFile(index)) {
                return openIndex(index);
            }
            if (Files.isRegularFile(single)) {
                return openSingle(single);
            }
            throw new CheckpointFormatException(path, "no weights: neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        if (!Files.isRegularFile(path)) {
            throw new CheckpointFormatException(path, "no such checkpoint file or directory");
        }
        return path.getFileName().toString().endsWith(".json") ? openIndex(path) : openSingle(path);
    }

    private static Checkpoint openSingle(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> byName = new TreeMap<>();
        for (String n : f.names()) {
            byName.put(n, f);
        }
        return new Checkpoint(file, List.of(f), Collections.unmodifiableMap(byName), f.metadata());
    }

    private static Checkpoint openIndex(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shardsByFile = new LinkedHashMap<>();
        try {
            for (String file : new java.util.TreeSet<>(weightMap.values())) {
                Path shard = dir.resolve(file).normalize();
                if (!shard.getParent().equals(dir.normalize())) {
                    throw new CheckpointFormatException(index, "shard '" + file + "' is not a file name in the index's directory");
                }
                if (!Files.isRegularFile(shard)) {
                    throw new CheckpointFormatException(index, "shard '" + file + "' does not exist (needed for tensor '"
                            + firstTensorOf(weightMap, file) + "')");
                }
                shardsByFile.put(file, SafetensorsFile.open(shard));
            }
            Map<String, SafetensorsFile> byName = new TreeMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile shard = shardsByFile.get(e.getValue());
                if (!shard.names().contains(e.getKey())) {
                    throw new CheckpointFormatException(index, "tensor '" + e.getKey() + "' is mapped to '" + e.getValue()
                            + "' but that shard does not contain it");
                }
            }
            Map<String, String> metadata = new TreeMap<>();
            for (SafetensorsFile shard : shardsByFile.values()) {
                for (String n : shard.names()) {
                    SafetensorsFile previous = byName.put(n, shard);
                    if (previous != null) {
                        throw new CheckpointFormatException(index, "tensor '" + n + "' appears in two shards: "
                                + previous.path().getFileName() + " and " + shard.path().getFileName());
                    }
                }
                metadata.putAll(shard.metadata());
            }
            return new Checkpoint(index, List.copyOf(shardsByFile.values()), Collections.unmodifiableMap(byName),
                    Collections.unmodifiableMap(metadata));
        } catch (RuntimeException e) {
            shardsByFile.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static String firstTensorOf(Map<String, String> weightMap, String file) {
        return weightMap.entrySet().stream().filter(e -> e.getValue().equals(file)).map(Map.Entry::getKey)
                .findFirst().orElse("?");
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = SafetensorsFile.JSON.readTree(Files.readString(index));
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(index, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index + ": " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new CheckpointFormatException(index, "missing object 'weight_map' (tensor name -> shard file)");
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual() || e.getValue().textValue().isEmpty()) {
                throw new CheckpointFormatException(index, "weight_map entry '" + e.getKey() + "' must be a file name, got "
                        + e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        if (out.isEmpty()) {
            throw new CheckpointFormatException(index, "weight_map is empty");
        }
        return out;
    }

    /** The file this checkpoint was opened from (the single file or the index). */
    public Path source() {
        return source;
    }

    /** The shard files, in file-name order (one for a single-file checkpoint). */
    public List<Path> files() {
        List<Path> out = new ArrayList<>();
        shards.forEach(s -> out.add(s.path()));
        return out;
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    private SafetensorsFile shardOf(String name) {
        SafetensorsFile shard = byName.get(name);
        if (shard == null) {
            List<String> files = new ArrayList<>();
            shards.forEach(s -> files.add(s.path().getFileName().toString()));
            throw new CheckpointFormatException(source, "no tensor named '" + name + "' in " + String.join(", ", files)
                    + " (" + byName.size() + " tensors)");
        }
        return shard;
    }

    @Override
    public TensorInfo info(String name) {
        return shardOf(name).info(name);
    }

    @Override
    public Tensor tensor(String name) {
        return shardOf(name).tensor(name);
    }

    @Override
    public MemorySegment bytes(String name) {
        return shardOf(name).bytes(name);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + source + ", " + shards.size() + " file(s), " + byName.size() + " tensors]";
    }
}
