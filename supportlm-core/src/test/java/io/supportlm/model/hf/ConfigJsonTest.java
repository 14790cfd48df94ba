package io.supportlm.model.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigJsonTest {
    @TempDir
    Path dir;

    private ConfigJson config(String json) throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, json);
        return ConfigJson.load(p);
    }

    @Test
    void typedAccessorsReadValuesAndDefaults() throws IOException {
        ConfigJson c = config("""
                {"model_type": "qwen2", "hidden_size": 896, "rms_norm_eps": 1e-06, "rope_theta": 1000000,
                 "tie_word_embeddings": true, "sliding_window": null, "eos_token_id": 151645,
                 "layer_types": ["full_attention", "sliding_attention"]}
                """);
        assertEquals("qwen2", c.modelType());
        assertEquals(896, c.requireInt("hidden_size"));
        assertEquals(1e-6, c.requireDouble("rms_norm_eps"));
        assertEquals(1e6, c.requireDouble("rope_theta"), "integers are numbers");
        assertTrue(c.getBoolean("tie_word_embeddings", false));
        assertEquals(OptionalInt.empty(), c.optInt("sliding_window"), "null is absent");
        assertEquals(4096, c.getInt("max_position_embeddings", 4096));
        assertEquals(List.of(151645), c.intOrIntList("eos_token_id"));
        assertEquals(List.of("full_attention", "sliding_attention"), c.stringList("layer_types"));
    }

    @Test
    void errorsNameTheFileTheFieldAndTheValue() throws IOException {
        ConfigJson c = config("{\"hidden_size\": \"abc\", \"num_heads\": 2.5, \"eos_token_id\": [1, \"x\"], \"text_config\": {\"vocab_size\": -1.5}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.requireInt("hidden_size"));
        assertEquals(dir.resolve("config.json") + ": field 'hidden_size' must be an integer, got \"abc\"", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.requireInt("num_heads"));
        assertTrue(e.getMessage().endsWith("field 'num_heads' must be an integer, got 2.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.requireInt("num_hidden_layers"));
        assertTrue(e.getMessage().endsWith("config.json: missing field 'num_hidden_layers'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.intOrIntList("eos_token_id"));
        assertTrue(e.getMessage().contains("an integer or a list of integers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.textConfig().requireInt("vocab_size"));
        assertTrue(e.getMessage().contains("field 'text_config.vocab_size' must be an integer"), e.getMessage());
    }

    @Test
    void invalidJsonIsReportedWithItsFile() throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{\"a\": 1,}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigJson.load(p));
        assertTrue(e.getMessage().startsWith(p + ": not valid JSON"), e.getMessage());
        Files.writeString(p, "{\"a\": 1, \"a\": 2}");
        e = assertThrows(IllegalArgumentException.class, () -> ConfigJson.load(p));
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());
        Files.writeString(p, "[1]");
        assertThrows(IllegalArgumentException.class, () -> ConfigJson.load(p));
    }

    @Test
    void gemma3WrapsItsTextModelInTextConfig() throws IOException {
        ConfigJson c = config("""
                {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                 "text_config": {"model_type": "gemma3_text", "hidden_size": 2560, "head_dim": 256,
                                 "query_pre_attn_scalar": 256, "rope_local_base_freq": 10000.0, "rope_theta": 1000000.0,
                                 "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024},
                 "vision_config": {"model_type": "siglip_vision_model"}}
                """);
        ConfigJson text = c.textConfig();
        assertEquals("gemma3_text", text.modelType());
        assertEquals(2560, text.requireInt("hidden_size"));
        ConfigJson.RopeParameters global = text.rope(null, 10000);
        assertEquals("linear", global.type());
        assertEquals(1e6, global.theta());
        assertEquals(8.0, global.factor());
        ConfigJson plain = config("{\"model_type\": \"gemma3_text\", \"hidden_size\": 640}");
        assertEquals(640, plain.textConfig().requireInt("hidden_size"), "a text-only config is its own text config");
    }

    @Test
    void readsBothRopeLayouts() throws IOException {
        ConfigJson legacy = config("""
                {"rope_theta": 500000.0, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                 "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
                """);
        ConfigJson.RopeParameters llama = legacy.rope(null, 10000);
        assertEquals("llama3", llama.type());
        assertEquals(500000.0, llama.theta());
        assertEquals(8192, llama.parameters().requireInt("original_max_position_embeddings"));

        ConfigJson oldType = config("{\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}}");
        assertEquals("dynamic", oldType.rope(null, 10000).type());
        assertEquals(10000, oldType.rope(null, 10000).theta(), "default theta when absent");

        ConfigJson none = config("{\"rope_theta\": 1000000.0, \"rope_scaling\": null}");
        assertEquals("default", none.rope(null, 10000).type());
        assertNull(none.rope(null, 10000).parameters());
        assertEquals(1.0, none.rope(null, 10000).factor());

        ConfigJson v5 = config("{\"rope_parameters\": {\"rope_type\": \"yarn\", \"rope_theta\": 150000.0, \"factor\": 4.0}}");
        assertEquals("yarn", v5.rope(null, 10000).type());
        assertEquals(150000.0, v5.rope(null, 10000).theta());
        assertEquals(4.0, v5.rope(null, 10000).factor());

        ConfigJson perLayer = config("""
                {"rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
                                     "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}}
                """);
        assertEquals("linear", perLayer.rope("full_attention", 1).type());
        assertEquals(1e6, perLayer.rope("full_attention", 1).theta());
        assertEquals(10000.0, perLayer.rope("sliding_attention", 1).theta());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> perLayer.rope("chunked_attention", 1));
        assertTrue(e.getMessage().contains("no entry for layer type 'chunked_attention'"), e.getMessage());
        assertEquals(Optional.of("default"), Optional.of(perLayer.rope("sliding_attention", 1).type()));
    }
}
