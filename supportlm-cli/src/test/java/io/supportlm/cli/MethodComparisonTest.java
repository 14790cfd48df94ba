package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MethodComparisonTest {
    @TempDir
    Path dir;

    @Test
    void linearParametersCountTwoDimensionalWeightsOutsideEmbeddingsAndPooler() {
        Path file = dir.resolve("model.safetensors");
        new SafetensorsWriter()
                .add("embeddings.word_embeddings.weight", new float[40], 10, 4)
                .add("encoder.layer.0.attention.self.query.weight", new float[16], 4, 4)
                .add("encoder.layer.0.attention.self.query.bias", new float[4], 4)
                .add("encoder.layer.0.intermediate.dense.weight", new float[32], 8, 4)
                .add("pooler.dense.weight", new float[16], 4, 4)
                .write(file);
        assertEquals(16 + 32, MethodComparison.linearParameters(file));
    }

    @Test
    void theTableDerivesThroughputFromTokensAndLinearParameters() throws Exception {
        JsonNode lora = new ObjectMapper().readTree("""
                {"method": "lora", "train_seconds": 10, "tokens": 20000, "trainable_parameters": 1000,
                 "adapter_bytes": 2097152, "linear_parameters": 1000000, "peak_rss_bytes": 1073741824,
                 "peak_live_heap_bytes": -1, "tasks": {"intent": {"accuracy": 0.9, "macro_f1": 0.85}}}""");
        String table = MethodComparison.table("bitext", "minilm", 1, 16.0, List.of(lora));
        // 4 × 1e6 parameters × 2000 tokens/s = 8 GFLOP/s, half of the 16 GFLOP/s peak
        assertTrue(table.contains("| lora | 90.00% | 0.8500 | 10 | 2000 | 8.0 (50%) | 1,000 | 2.0 MiB | 1024.0 MiB | n/a |"), table);
        assertTrue(table.contains("intent accuracy"), table);
    }

    @Test
    void unknownMethodsAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> ClassifyBenchmark.methodSettings("dora"));
        assertTrue(e.getMessage().contains("'dora'") && e.getMessage().contains("qlora"), e.getMessage());
    }
}
