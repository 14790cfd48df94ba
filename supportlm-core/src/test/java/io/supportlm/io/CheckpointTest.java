package io.supportlm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private void shards() {
        new SafetensorsWriter().add("model.embed.weight", new float[] {1f, 2f}, 2).add("model.norm.weight", new float[] {3f}, 1)
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().add("lm_head.weight", new float[] {4f, 5f, 6f}, 3)
                .write(dir.resolve("model-00002-of-00002.safetensors"));
    }

    private void index(String weightMap) throws IOException {
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\":{\"total_size\":24},\"weight_map\":" + weightMap + "}");
    }

    @Test
    void opensASingleFileFromItsDirectory() {
        new SafetensorsWriter().add("w", new float[] {7f}, 1).write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(List.of("w"), List.copyOf(c.names()));
            assertEquals(7f, c.tensor("w").getFloat(0));
        }
    }

    @Test
    void opensAShardedSetThroughItsIndex() throws IOException {
        shards();
        index("{\"model.embed.weight\":\"model-00001-of-00002.safetensors\",\"model.norm.weight\":\"model-00001-of-00002.safetensors\","
                + "\"lm_head.weight\":\"model-00002-of-00002.safetensors\"}");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(List.of("lm_head.weight", "model.embed.weight", "model.norm.weight"), List.copyOf(c.names()));
            assertArrayEquals(new float[] {4f, 5f, 6f}, c.tensor("lm_head.weight").toFloatArray());
            assertArrayEquals(new float[] {1f, 2f}, c.tensor("model.embed.weight").toFloatArray());
            assertEquals(2, c.files().size());
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> c.tensor("model.layers.0.q"));
            assertTrue(e.getMessage().contains("'model.layers.0.q'") && e.getMessage().contains("model-00002-of-00002.safetensors"),
                    e.getMessage());
        }
    }

    @Test
    void rejectsAnIndexThatDisagreesWithItsShards() throws IOException {
        shards();
        index("{\"lm_head.weight\":\"model-00001-of-00002.safetensors\"}");
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'lm_head.weight' is mapped to 'model-00001-of-00002.safetensors'"), e.getMessage());

        index("{\"x\":\"model-00003-of-00003.safetensors\"}");
        e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("shard 'model-00003-of-00003.safetensors' does not exist"), e.getMessage());

        index("{\"x\":\"../outside.safetensors\"}");
        e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("not a file name in the index's directory"), e.getMessage());

        index("{\"x\": 3}");
        assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\":{}}");
        e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("weight_map"), e.getMessage());
    }

    @Test
    void rejectsATensorStoredInTwoShards() throws IOException {
        shards();
        new SafetensorsWriter().add("lm_head.weight", new float[] {0f}, 1).add("extra.bias", new float[] {0f}, 1)
                .write(dir.resolve("extra.safetensors"));
        index("{\"model.norm.weight\":\"model-00001-of-00002.safetensors\",\"lm_head.weight\":\"model-00002-of-00002.safetensors\","
                + "\"extra.bias\":\"extra.safetensors\"}");
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'lm_head.weight' appears in two shards"), e.getMessage());
    }

    @Test
    void anEmptyDirectoryHasNoWeights() {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("neither model.safetensors nor model.safetensors.index.json"), e.getMessage());
    }
}
