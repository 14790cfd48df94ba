package io.supportlm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainConfigTest {
    @Test
    void fileAndOverridesMergeOverTheDefaults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("run.yaml");
        Files.writeString(f, "model: models/minilm\ndata:\n  train: t.jsonl\n  tasks: [queue]\noptim:\n  epochs: 5\n");
        TrainConfig c = TrainConfig.load(f, List.of("optim.learning_rate=1e-3", "lora.target_modules=[query, key]"));
        assertEquals(5, c.optim().epochs());
        assertEquals(1e-3, c.optim().learningRate());
        assertEquals(16, c.optim().batchSize()); // from the defaults
        assertEquals(List.of("query", "key"), c.lora().targetModules());
        assertEquals("t.jsonl", c.data().train());
    }

    @Test
    void anUnknownKeyIsAnErrorNamingItsPath(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("run.yaml");
        Files.writeString(f, "model: m\ndata:\n  train: t.jsonl\n  tasks: [q]\noptim:\n  lerning_rate: 0.1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.load(f, List.of()));
        assertTrue(e.getMessage().contains("optim.lerning_rate"), e.getMessage());
        IllegalArgumentException o = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.load(null, List.of("model=m", "data.train=t", "data.tasks=[q]", "optim.nope=1")));
        assertTrue(o.getMessage().contains("optim.nope"), o.getMessage());
    }

    @Test
    void badValuesAreRejectedWithTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.load(null, List.of("model=m", "data.train=t", "data.tasks=[q]", "optim.schedule=exponential")));
        assertTrue(e.getMessage().contains("optim.schedule"), e.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.load(null, List.of("model=m", "data.train=t", "data.tasks=[q]", "optim.epochs=many")));
        assertTrue(t.getMessage().contains("optim.epochs"), t.getMessage());
    }

    @Test
    void theResolvedConfigRoundTripsThroughYaml(@TempDir Path dir) throws Exception {
        TrainConfig c = TrainConfig.load(null, List.of("model=m", "data.train=t", "data.tasks=[q, p]", "seed=7"));
        Path saved = dir.resolve("config.yaml");
        Files.writeString(saved, c.toYaml());
        assertEquals(c, TrainConfig.read(saved));
    }
}
