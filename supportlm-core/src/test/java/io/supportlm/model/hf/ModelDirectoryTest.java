package io.supportlm.model.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.io.Checkpoint;
import io.supportlm.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void requiresADirectoryWithConfigJson() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.of(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("not a model directory"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.of(dir));
        assertTrue(e.getMessage().endsWith("no config.json"), e.getMessage());
    }

    @Test
    void namesEachMissingFile() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"eos_token_id\": 2, \"bos_token_id\": 1}");
        ModelDirectory m = ModelDirectory.of(dir);
        assertTrue(assertThrows(IllegalArgumentException.class, m::tokenizerFile).getMessage().contains("no tokenizer.json"));
        assertTrue(assertThrows(IllegalArgumentException.class, m::chatTemplate).getMessage().contains("no tokenizer_config.json"));
        Files.writeString(dir.resolve("pytorch_model.bin"), "");
        assertTrue(assertThrows(IllegalArgumentException.class, m::weights).getMessage().contains("convert it to safetensors"));
        assertFalse(m.hasWeights());
        assertFalse(m.hasChatTemplate());
        GenerationConfig g = m.generationConfig();
        assertEquals(List.of(2), g.eosTokenIds(), "from config.json when generation_config.json is absent");
        assertEquals(OptionalInt.of(1), g.bosTokenId());
    }

    @Test
    void opensEveryFileOfACompleteDirectory() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": 2}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [3], \"temperature\": 0.7, \"do_sample\": true}");
        Files.writeString(dir.resolve("tokenizer.json"), HfTokenizerTest.WORD_LEVEL);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"pad_token\": \"[PAD]\", \"chat_template\": \"{{ bos_token }}{{ messages[0].content }}\"}");
        new SafetensorsWriter().add("embed", new float[] {1f, 2f}, 1, 2).write(dir.resolve("model.safetensors"));
        ModelDirectory m = ModelDirectory.of(dir);
        assertEquals(2, m.config().requireInt("hidden_size"));
        assertEquals(0.7, m.generationConfig().temperature());
        try (HfTokenizer t = m.tokenizer()) {
            assertEquals(OptionalInt.of(3), t.eosId());
            assertEquals(OptionalInt.of(0), t.padId());
        }
        assertTrue(m.hasChatTemplate());
        assertEquals("<s>hello", m.chatTemplate().render(List.of(ChatTemplate.Message.user("hello")), true));
        Files.writeString(dir.resolve("chat_template.jinja"), "[{{ eos_token }}]{{ messages | length }}\n");
        assertEquals("[</s>]1", m.chatTemplate().render(List.of(ChatTemplate.Message.user("hello")), true),
                "chat_template.jinja takes precedence");
        try (Checkpoint c = m.weights()) {
            assertEquals(2f, c.tensor("embed").getFloat(1));
        }
    }
}
