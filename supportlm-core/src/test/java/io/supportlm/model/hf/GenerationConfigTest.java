package io.supportlm.model.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationConfigTest {
    @TempDir
    Path dir;

    private GenerationConfig load(String json) throws IOException {
        Path p = dir.resolve("generation_config.json");
        Files.writeString(p, json);
        return GenerationConfig.load(p);
    }

    @Test
    void absentFieldsTakeTransformersDefaults() throws IOException {
        GenerationConfig g = load("{\"_from_model_config\": true, \"eos_token_id\": 151645, \"pad_token_id\": 151643}");
        assertEquals(List.of(151645), g.eosTokenIds());
        assertEquals(OptionalInt.of(151643), g.padTokenId());
        assertEquals(OptionalInt.empty(), g.bosTokenId());
        assertEquals(20, g.maxLength());
        assertEquals(OptionalInt.empty(), g.maxNewTokens());
        assertFalse(g.doSample());
        assertEquals(1.0, g.temperature());
        assertEquals(50, g.topK());
        assertEquals(1.0, g.topP());
        assertEquals(OptionalDouble.empty(), g.minP());
        assertEquals(1.0, g.repetitionPenalty());
        assertEquals(GenerationConfig.defaults(), new GenerationConfig(OptionalInt.empty(), List.of(), OptionalInt.empty(), 20,
                OptionalInt.empty(), false, 1.0, 50, 1.0, OptionalDouble.empty(), 1.0));
    }

    @Test
    void readsSamplingSettingsAndEosLists() throws IOException {
        GenerationConfig g = load("""
                {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
                 "temperature": 0.6, "top_p": 0.9, "top_k": 20, "min_p": 0.05, "repetition_penalty": 1.05, "max_new_tokens": 256}
                """);
        assertEquals(OptionalInt.of(128000), g.bosTokenId());
        assertEquals(List.of(128001, 128008, 128009), g.eosTokenIds());
        assertTrue(g.isEos(128009));
        assertFalse(g.isEos(128000));
        assertTrue(g.doSample());
        assertEquals(0.6, g.temperature());
        assertEquals(0.9, g.topP());
        assertEquals(20, g.topK());
        assertEquals(OptionalDouble.of(0.05), g.minP());
        assertEquals(1.05, g.repetitionPenalty());
        assertEquals(OptionalInt.of(256), g.maxNewTokens());
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheFile() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("{\"top_p\": 1.5}"));
        assertTrue(e.getMessage().contains("generation_config.json: top_p must be in (0, 1], got 1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load("{\"temperature\": \"hot\"}"));
        assertTrue(e.getMessage().contains("field 'temperature' must be a number, got \"hot\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> load("{\"max_new_tokens\": 0}"));
        assertThrows(IllegalArgumentException.class, () -> load("{\"repetition_penalty\": 0}"));
        assertThrows(IllegalArgumentException.class, () -> load("{\"top_k\": -1}"));
    }
}
