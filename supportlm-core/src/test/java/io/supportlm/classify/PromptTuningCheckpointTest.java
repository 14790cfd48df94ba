package io.supportlm.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.Parameter;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.bert.BertWeights;
import io.supportlm.peft.PromptTuning;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTuningCheckpointTest {
    static final int B = MultiTaskClassifierTest.B, T = MultiTaskClassifierTest.T;
    static final ObjectMapper JSON = new ObjectMapper();

    static BertEncoder encoder() {
        return new BertEncoder(MultiTaskClassifierTest.TINY, BertWeights.load(BertInit.random(MultiTaskClassifierTest.TINY, 1),
                MultiTaskClassifierTest.TINY));
    }

    static float[][] logits(MultiTaskClassifier clf) {
        MultiTaskClassifier.Workspace ws = clf.allocate(B, T);
        clf.forward(ws, MultiTaskClassifierTest.IDS, MultiTaskClassifierTest.MASK, B, T, false, 0, 0);
        return new float[][] {Arrays.copyOf(ws.logits(0), B * 3), Arrays.copyOf(ws.logits(1), B * 2)};
    }

    @Test
    void savedPromptAndHeadsLoadIntoAFreshModelWithIdenticalPredictions(@TempDir Path dir) throws Exception {
        BertEncoder bert = encoder();
        PromptTuning prompt = PromptTuning.fromText(new PromptTuning.Config(6, PromptTuning.Init.TEXT, "Classify this ticket:"),
                new int[] {1, 20, 21, 2}, bert);
        List<ClassificationTask> tasks = MultiTaskClassifierTest.classifier(1, Pooling.Mode.CLS).tasks();
        MultiTaskClassifier clf = new MultiTaskClassifier(prompt.wrap(bert), Pooling.Mode.CLS, 0.1f, tasks, new Random(4));
        // Move the prompt and heads away from their init, as training would.
        Random rng = new Random(9);
        for (Parameter p : clf.headParameters()) {
            for (int i = 0; i < p.values().length; i++) {
                p.values()[i] += (float) rng.nextGaussian() * 0.3f;
            }
        }
        for (int i = 0; i < prompt.embeddings().length; i++) {
            prompt.embeddings()[i] += (float) rng.nextGaussian() * 0.3f;
        }
        ClassifierCheckpoint.Meta meta = new ClassifierCheckpoint.Meta("tiny-bert", "bert", tasks, Pooling.Mode.CLS, 0.1f, 16,
                "prompt", 0);
        Path adapter = dir.resolve("adapter");
        ClassifierCheckpoint.save(adapter, clf, prompt, meta);

        var config = JSON.readTree(adapter.resolve(ClassifierCheckpoint.ADAPTER_CONFIG).toFile());
        assertEquals("PROMPT_TUNING", config.path("peft_type").asText());
        assertEquals("SEQ_CLS", config.path("task_type").asText());
        assertEquals(6, config.path("num_virtual_tokens").asInt());
        assertEquals(16, config.path("token_dim").asInt());
        assertEquals(1, config.path("num_transformer_submodules").asInt());
        assertEquals("TEXT", config.path("prompt_tuning_init").asText());
        assertEquals("Classify this ticket:", config.path("prompt_tuning_init_text").asText());
        assertEquals("tiny-bert", config.path("tokenizer_name_or_path").asText());
        try (SafetensorsFile f = SafetensorsFile.open(adapter.resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS))) {
            assertArrayEquals(new int[] {6, 16}, f.tensor("prompt_embeddings").shape().dims());
            assertTrue(f.contains("base_model.model.classifier.queue.weight"));
        }

        // PEFT's loader ignores keys it does not know; so does ours.
        ObjectNode extended = (ObjectNode) config;
        extended.put("num_attention_heads", 2).put("some_future_field", "x");
        JSON.writeValue(adapter.resolve(ClassifierCheckpoint.ADAPTER_CONFIG).toFile(), extended);

        ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(adapter, encoder());
        assertNull(loaded.lora());
        assertEquals("prompt", loaded.meta().method());
        assertArrayEquals(prompt.embeddings(), loaded.prompt().embeddings());
        float[][] expected = logits(clf);
        float[][] actual = logits(loaded.classifier());
        assertArrayEquals(expected[0], actual[0]);
        assertArrayEquals(expected[1], actual[1]);
    }

    @Test
    void aPromptWhoseWidthDiffersFromTheModelIsRejected(@TempDir Path dir) throws Exception {
        BertEncoder bert = encoder();
        PromptTuning prompt = PromptTuning.random(new PromptTuning.Config(3, PromptTuning.Init.RANDOM, null), 16, 1);
        List<ClassificationTask> tasks = MultiTaskClassifierTest.classifier(1, Pooling.Mode.CLS).tasks();
        MultiTaskClassifier clf = new MultiTaskClassifier(prompt.wrap(bert), Pooling.Mode.CLS, 0.1f, tasks, new Random(4));
        Path adapter = dir.resolve("adapter");
        ClassifierCheckpoint.save(adapter, clf, prompt,
                new ClassifierCheckpoint.Meta("tiny-bert", "bert", tasks, Pooling.Mode.CLS, 0.1f, 16, "prompt", 0));
        ObjectNode config = (ObjectNode) JSON.readTree(adapter.resolve(ClassifierCheckpoint.ADAPTER_CONFIG).toFile());
        assertTrue(config.path("prompt_tuning_init_text").isNull());
        config.put("token_dim", 32);
        JSON.writeValue(adapter.resolve(ClassifierCheckpoint.ADAPTER_CONFIG).toFile(), config);
        var e = assertThrows(IllegalArgumentException.class, () -> ClassifierCheckpoint.load(adapter, encoder()));
        assertTrue(e.getMessage().contains("token_dim 32"), e.getMessage());
    }
}
