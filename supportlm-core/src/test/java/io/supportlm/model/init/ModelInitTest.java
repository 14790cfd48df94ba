package io.supportlm.model.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.io.SafetensorsFile;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInitTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gemma3", "gpt_neox", "bert"})
    void everyArchitectureWritesACheckpointThatLoadsTokenizesAndRuns(String arch, @TempDir Path dir) throws Exception {
        Path model = dir.resolve(arch);
        ModelInit.write(arch, "tiny", 1, model);
        ModelDirectory md = ModelDirectory.of(model);
        try (HfTokenizer tokenizer = md.tokenizer()) {
            String text = "Hello, my order #A-10293 is late!";
            int[] ids = tokenizer.encode(text, true).ids();
            assertTrue(ids.length > 3, arch + " encodes");
            if (!arch.equals("bert")) {
                // byte-level BPE round-trips any text exactly
                assertEquals(text, tokenizer.decode(tokenizer.encode(text, false).ids(), true));
                ChatTemplate template = md.chatTemplate();
                String prompt = template.render(List.of(new ChatTemplate.Message("user", "hi")), true);
                assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", prompt);
                assertEquals(258, tokenizer.tokenToId("<|im_end|>"));
            }
            Path out = dir.resolve(arch + ".safetensors");
            ModelForward.Written w = ModelForward.run(model, ids, out);
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                assertArrayEquals(new long[] {1, ids.length, w.hidden()}, f.info("hidden_states").shape());
                if (!arch.equals("bert")) {
                    assertArrayEquals(new long[] {1, ids.length, w.vocab()}, f.info("logits").shape());
                    for (float v : f.tensor("logits").toFloatArray()) {
                        assertTrue(Float.isFinite(v));
                    }
                }
            }
        }
    }

    @Test
    void unknownArchitecturesAndIdsOutsideTheVocabularyAreClearErrors(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelInit.write("t5", "tiny", 1, dir));
        assertTrue(e.getMessage().contains("llama"), e.getMessage());
        ModelInit.write("llama", "tiny", 1, dir.resolve("m"));
        IllegalArgumentException ids = assertThrows(IllegalArgumentException.class,
                () -> ModelForward.run(dir.resolve("m"), new int[] {1, 99999}, dir.resolve("o.safetensors")));
        assertTrue(ids.getMessage().contains("99999"), ids.getMessage());
    }
}
