package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.Backbone;
import io.supportlm.model.InMemoryWeights;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.bert.BertInit;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.server.policy.Policy;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadedModelsTest {
    @TempDir
    Path dir;

    /** A Hugging Face BERT directory on disk: config.json, model.safetensors, tokenizer files. */
    private Path writeBaseModel() throws IOException {
        Path base = Files.createDirectories(dir.resolve("tiny-bert"));
        var c = TinyModels.CONFIG;
        Files.writeString(base.resolve("config.json"), """
                {"model_type": "bert", "vocab_size": %d, "hidden_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d,
                 "intermediate_size": %d, "max_position_embeddings": %d, "type_vocab_size": 2, "hidden_act": "gelu",
                 "hidden_dropout_prob": 0.0, "pad_token_id": 0}
                """.formatted(c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.intermediateSize(), c.maxPositions()));
        InMemoryWeights weights = BertInit.random(c, 7);
        SafetensorsWriter w = new SafetensorsWriter();
        weights.asMap().forEach(w::add);
        w.write(base.resolve("model.safetensors"));
        try (InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, base.resolve("tokenizer.json"));
        }
        Files.writeString(base.resolve("tokenizer_config.json"), "{\"pad_token\": \"[PAD]\", \"unk_token\": \"[UNK]\"}");
        return base;
    }

    @Test
    void adaptersShareTheBaseWeightsAndServeDifferentAnswers() throws IOException {
        Path base = writeBaseModel();
        Map<String, Path> adapters = new LinkedHashMap<>();
        adapters.put("support-a", Files.createDirectories(dir.resolve("a")));
        adapters.put("support-b", Files.createDirectories(dir.resolve("b")));
        List<Backbone> backbones = new ArrayList<>();
        List<LinearLayer> baseQueries = new ArrayList<>();
        // A loader that attaches a LoRA (non-zero B) and fresh heads, seeded by the directory name.
        AdapterLoader loader = (adapterDir, backbone) -> {
            backbones.add(backbone);
            baseQueries.add(backbone.linearLayers().get("encoder.layer.0.attention.self.query"));
            long seed = adapterDir.getFileName().toString().hashCode();
            LoraAdapter lora = LoraAdapter.attach(backbone, new LoraConfig(2, 4f, 0f, List.of("query"), false, false), seed);
            Random rng = new Random(seed);
            lora.parameters().forEach(p -> {
                for (int i = 0; i < p.values().length; i++) {
                    p.values()[i] = (rng.nextFloat() - 0.5f);
                }
            });
            return new MultiTaskClassifier(backbone, Pooling.Mode.CLS, 0f, TinyModels.TASKS, new Random(seed));
        };
        try (LoadedModels loaded = LoadedModels.load(base, "tiny-bert", adapters, loader, 8, 512)) {
            assertEquals(List.of("tiny-bert", "support-a", "support-b"), loaded.models().names());
            assertNotSame(backbones.get(0), backbones.get(1), "each adapter has its own encoder instance");
            assertSame(baseQueries.get(0), baseQueries.get(1), "the frozen base weights are one object in memory");
            SupportServer server = new SupportServer(ServerConfig.defaults(), loaded.models(), Policy.none(), AccessLog.off()).start();
            try {
                Http http = new Http(server.port());
                String text = "My order never arrived and I want my money back, this is the third time I write. "
                        .repeat(20); // longer than a tiny model's 128 positions: truncated, not an error
                HttpResponse<String> a = http.post("/v1/classify", "{\"text\": \"" + text + "\", \"top_k\": 4, \"model\": \"support-a\"}");
                HttpResponse<String> b = http.post("/v1/classify", "{\"text\": \"" + text + "\", \"top_k\": 4, \"model\": \"support-b\"}");
                assertEquals(200, a.statusCode(), a.body());
                assertEquals(200, b.statusCode(), b.body());
                assertTrue(!Http.json(a).get("results").equals(Http.json(b).get("results")), "different adapters, different answers");
            } finally {
                server.stop();
            }
        }
    }

    @Test
    void aClassifierSavedByTrainingIsServedWithItsTasksAndLabels() throws IOException {
        Path base = writeBaseModel();
        Path saved = dir.resolve("saved");
        try (LoadedModels plain = LoadedModels.load(base, "tiny-bert", Map.of(), (d, b) -> null, 8, 512)) {
            // Build a classifier the way training does and save it in the training checkpoint format.
            Backbone backbone = io.supportlm.model.bert.BertModels.load(io.supportlm.model.hf.ModelDirectory.of(base),
                    io.supportlm.io.Checkpoint.open(base));
            LoraAdapter lora = LoraAdapter.attach(backbone, new LoraConfig(2, 4f, 0f, List.of("query", "value"), false, false), 3);
            MultiTaskClassifier clf = new MultiTaskClassifier(backbone, Pooling.Mode.CLS, 0f, TinyModels.TASKS, new Random(3));
            io.supportlm.classify.ClassifierCheckpoint.save(saved, clf, lora, new io.supportlm.classify.ClassifierCheckpoint.Meta(
                    base.toString(), "bert", TinyModels.TASKS, Pooling.Mode.CLS, 0f, 64, "lora", 0));
        }
        try (LoadedModels loaded = LoadedModels.load(base, "tiny-bert", Map.of("saved", saved), new ClassifierCheckpoints(), 8, 512)) {
            SupportServer server = new SupportServer(ServerConfig.defaults(), loaded.models(), Policy.none(), AccessLog.off()).start();
            try {
                HttpResponse<String> r = new Http(server.port()).post("/v1/classify",
                        "{\"text\": \"refund please\", \"top_k\": 2, \"model\": \"saved\"}");
                assertEquals(200, r.statusCode(), r.body());
                for (var task : TinyModels.TASKS) {
                    assertTrue(r.body().contains("\"" + task.name() + "\""), r.body());
                }
            } finally {
                server.stop();
            }
        }
    }

    @Test
    void badModelDirectoriesAndNamesAreRefusedClearly() throws IOException {
        Path base = writeBaseModel();
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> LoadedModels.load(base, "tiny-bert", Map.of("../up", dir), new ClassifierCheckpoints(), 8, 64));
        assertTrue(name.getMessage().contains("adapter name '../up' is not a valid name"), name.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> LoadedModels.load(base, "tiny-bert", Map.of("a", dir.resolve("nope")), new ClassifierCheckpoints(), 8, 64));
        assertTrue(missing.getMessage().contains("no such adapter directory"), missing.getMessage());
        IllegalArgumentException noWeights = assertThrows(IllegalArgumentException.class,
                () -> LoadedModels.load(Files.createDirectories(dir.resolve("empty")), "x", Map.of(), new ClassifierCheckpoints(), 8, 64));
        assertTrue(noWeights.getMessage().contains("empty"), noWeights.getMessage());
    }
}
