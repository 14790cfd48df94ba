package io.supportlm.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.synth.SynthConfig;
import io.supportlm.data.synth.SyntheticTickets;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertInit;
import io.supportlm.train.TrainConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end fine-tuning on a tiny random BERT (real MiniLM tokenizer) and synthetic tickets. */
class ClassifierTrainerTest {
    static final BertConfig TINY = new BertConfig(30522, 32, 2, 4, 64, 128, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);
    @TempDir
    static Path shared;
    static Path modelDir;
    static Path train;
    static Path validation;

    @BeforeAll
    static void tinyModelAndData() throws Exception {
        Path tokenizer = shared.resolve("tokenizer.json");
        try (InputStream in = ClassifierTrainerTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, tokenizer, StandardCopyOption.REPLACE_EXISTING);
        }
        modelDir = shared.resolve("tiny-bert");
        BertInit.writeDirectory(modelDir, TINY, 1, tokenizer);
        List<SupportRecord> tickets = new SyntheticTickets(SynthConfig.defaults(240, 7)).generate();
        train = shared.resolve("train.jsonl");
        validation = shared.resolve("validation.jsonl");
        Jsonl.write(train, tickets.subList(0, 200));
        Jsonl.write(validation, tickets.subList(200, 240));
    }

    static TrainConfig config(Path runs, String... extra) throws Exception {
        List<String> o = new ArrayList<>(List.of("model=" + modelDir, "data.train=" + train, "data.validation=" + validation,
                "data.tasks=[queue, priority]", "data.max_length=48", "optim.batch_size=16", "optim.epochs=2",
                "optim.learning_rate=3e-3", "lora.r=4", "eval.every=4", "checkpoint_every=4", "output_dir=" + runs, "threads=2"));
        o.addAll(List.of(extra));
        return TrainConfig.load(null, o);
    }

    static ClassifierTrainer.Result run(TrainConfig c, Path runDir, boolean resume) throws Exception {
        try (LoadedModel model = LoadedModel.open(c.model())) {
            return ClassifierTrainer.train(c, model, runDir, resume, new ClassifierTrainer.Listener() {});
        }
    }

    static List<Double> losses(Path runDir) throws Exception {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            var n = Jsonl.MAPPER.readTree(line);
            if (n.path("type").asText().equals("train")) {
                out.add(n.path("loss").asDouble());
            }
        }
        return out;
    }

    @Test
    void trainingLowersTheLossAndTheSavedAdapterPredictsLikeTheTrainedModel(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs);
        ClassifierTrainer.Result r = run(c, runs.resolve("a"), false);
        List<Double> losses = losses(r.runDir());
        assertEquals(r.steps(), losses.size());
        double first = (losses.get(0) + losses.get(1)) / 2;
        double last = (losses.get(losses.size() - 1) + losses.get(losses.size() - 2)) / 2;
        assertTrue(last < first, "loss fell from " + first + " to " + last);
        assertTrue(Files.isRegularFile(r.adapterDir().resolve("adapter_config.json")));
        assertTrue(Files.isRegularFile(r.runDir().resolve("config.yaml")));

        // Reload the adapter on a freshly opened base model: heads and adapters come back, predictions are identical.
        List<String> texts = List.of("I was charged twice this month, please refund me", "The app keeps crashing after the update");
        List<ClassifierPredictor.Prediction> before;
        List<ClassifierPredictor.Prediction> after;
        try (LoadedModel model = LoadedModel.open(c.model())) {
            ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(r.adapterDir(), model.backbone());
            before = new ClassifierPredictor(loaded.classifier(), model.tokenizer(), 48, model.padId(), 8).predict(texts, 3);
        }
        try (LoadedModel model = LoadedModel.open(c.model())) {
            ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(r.adapterDir(), model.backbone());
            after = new ClassifierPredictor(loaded.classifier(), model.tokenizer(), 48, model.padId(), 8).predict(texts, 3);
        }
        assertEquals(before.stream().map(ClassifierPredictor.Prediction::byTask).toList(),
                after.stream().map(ClassifierPredictor.Prediction::byTask).toList());
        // PEFT naming: BERT's sequence-classification model prefixes the backbone with "bert."
        try (SafetensorsFile f = SafetensorsFile.open(r.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS))) {
            assertTrue(f.contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"));
            assertTrue(f.contains("base_model.model.classifier.queue.weight"));
        }
    }

    @Test
    void theSameConfigGivesTheSameLossCurveAndAResumedRunEndsWhereAnUninterruptedOneDoes(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "eval.patience=0");
        ClassifierTrainer.Result a = run(c, runs.resolve("a"), false);
        ClassifierTrainer.Result b = run(c, runs.resolve("b"), false);
        assertEquals(losses(a.runDir()), losses(b.runDir()));

        // "Kill" run b after its step-8 checkpoint: drop everything written later, then resume.
        Path rb = b.runDir();
        for (String gone : List.of("adapter", "best")) {
            ClassifierCheckpoint.deleteTree(rb.resolve(gone));
        }
        try (var s = Files.list(rb.resolve("checkpoints"))) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().equals("step-000008")) {
                    ClassifierCheckpoint.deleteTree(p);
                }
            }
        }
        ClassifierTrainer.Result resumed = run(c, rb, true);
        assertEquals(a.steps(), resumed.steps());
        assertEquals(losses(a.runDir()), losses(rb));
        try (SafetensorsFile fa = SafetensorsFile.open(a.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS));
             SafetensorsFile fr = SafetensorsFile.open(resumed.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS))) {
            for (String name : fa.names()) {
                assertArrayEquals(fa.tensor(name).toFloatArray(), fr.tensor(name).toFloatArray(), name);
            }
        }
    }

    @Test
    void rDropRunsEveryTextTwiceButCountsItOnce(@TempDir Path runs) throws Exception {
        ClassifierTrainer.Result plain = run(config(runs, "eval.patience=0"), runs.resolve("plain"), false);
        ClassifierTrainer.Result rDrop = run(config(runs, "eval.patience=0", "classifier.r_drop=1.0"), runs.resolve("r-drop"), false);
        assertEquals(plain.steps(), rDrop.steps(), "the same batches, each run twice inside its step");
        assertEquals(plain.tokens(), rDrop.tokens(), "throughput counts the data, not the copies");
        List<Double> losses = losses(rDrop.runDir());
        assertTrue(losses.get(losses.size() - 1) < losses.get(0), "loss fell: " + losses);
        assertTrue(!losses.equals(losses(plain.runDir())), "the divergence term changes the loss curve");
        assertEquals(losses, losses(run(config(runs, "eval.patience=0", "classifier.r_drop=1.0"), runs.resolve("again"), false)
                .runDir()), "reproducible");
    }

    @Test
    void anEnsembleAveragesItsMembersProbabilities(@TempDir Path runs) throws Exception {
        ClassifierTrainer.Result a = run(config(runs, "optim.max_steps=4"), runs.resolve("a"), false);
        ClassifierTrainer.Result b = run(config(runs, "optim.max_steps=4", "seed=43"), runs.resolve("b"), false);
        List<String> texts = List.of("I was charged twice this month, please refund me", "The app keeps crashing after the update");
        List<List<ClassifierPredictor.Prediction>> single = new ArrayList<>();
        for (Path adapter : List.of(a.adapterDir(), b.adapterDir())) {
            try (LoadedClassifiers one = LoadedClassifiers.open(List.of(adapter), null)) {
                single.add(one.predictor(8).predict(texts, 99));
            }
        }
        List<ClassifierPredictor.Prediction> both;
        try (LoadedClassifiers ensemble = LoadedClassifiers.open(List.of(a.adapterDir(), b.adapterDir()), null)) {
            assertEquals(2, ensemble.size());
            both = ensemble.predictor(8).predict(texts, 99);
        }
        for (int i = 0; i < texts.size(); i++) {
            for (String task : List.of("queue", "priority")) {
                for (ClassifierPredictor.Scored s : both.get(i).byTask().get(task)) {
                    double mean = (probability(single.get(0).get(i), task, s.label()) + probability(single.get(1).get(i), task, s.label())) / 2;
                    assertEquals(mean, s.probability(), 1e-6, task + " " + s.label());
                }
            }
        }
        assertTrue(!single.get(0).get(0).byTask().equals(single.get(1).get(0).byTask()), "the two seeds give two different models");

        // a member trained on other tasks cannot join
        ClassifierTrainer.Result other = run(config(runs, "optim.max_steps=2", "data.tasks=[queue]"), runs.resolve("c"), false);
        var e = assertThrows(IllegalArgumentException.class,
                () -> LoadedClassifiers.open(List.of(a.adapterDir(), other.adapterDir()), null));
        assertTrue(e.getMessage().contains("cannot join an ensemble") && e.getMessage().contains("tasks and labels"), e.getMessage());
    }

    private static double probability(ClassifierPredictor.Prediction p, String task, String label) {
        return p.byTask().get(task).stream().filter(s -> s.label().equals(label)).findFirst().orElseThrow().probability();
    }

    @Test
    void qloraTrainsOnAFourBitBaseAndReloadsOntoTheSameQuantizedBase(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "method=qlora", "optim.max_steps=6");
        ClassifierTrainer.Result r = run(c, runs.resolve("q"), false);
        assertEquals(6, r.steps());
        assertEquals("qlora", ClassifierCheckpoint.readMeta(r.adapterDir()).method());
        List<String> texts = List.of("Where is my parcel? It was due on Monday.");
        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (LoadedModel model = LoadedModel.open(c.model())) {
                ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(r.adapterDir(), model.backbone());
                var query = (io.supportlm.peft.LoraLinear) model.backbone().linearLayers().get("encoder.layer.0.attention.self.query");
                assertTrue(query.base() instanceof io.supportlm.model.QuantizedLinear, "the base under the adapter is 4-bit");
                seen.add(new ClassifierPredictor(loaded.classifier(), model.tokenizer(), 48, model.padId(), 8).predict(texts, 2)
                        .get(0).byTask());
            }
        }
        assertEquals(seen.get(0), seen.get(1));
    }

    @Test
    void aMergedCheckpointComputesWhatTheBaseWithItsAdapterComputes(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "optim.max_steps=5", "lora.target_modules=[query, key, value, dense]");
        ClassifierTrainer.Result r = run(c, runs.resolve("m"), false);
        Path merged = runs.resolve("merged");
        ClassifierExport.Result exported = ClassifierExport.merge(r.adapterDir(), null, merged);
        assertEquals(6 * TINY.numLayers(), exported.mergedLayers()); // "dense" matches attention.output, intermediate and output
        int[] ids = {101, 7592, 2088, 102};
        float[] withAdapter;
        try (LoadedModel model = LoadedModel.open(c.model())) {
            ClassifierCheckpoint.load(r.adapterDir(), model.backbone());
            withAdapter = model.backbone().forward(model.backbone().allocate(1, 4), ids, null, 1, 4, false, 0, 0).clone();
        }
        try (LoadedModel model = LoadedModel.open(merged.toString())) {
            float[] plain = model.backbone().forward(model.backbone().allocate(1, 4), ids, null, 1, 4, false, 0, 0);
            for (int i = 0; i < 4 * TINY.hiddenSize(); i++) {
                assertEquals(withAdapter[i], plain[i], 1e-4, "hidden state " + i);
            }
        }
    }

    @Test
    void aDecoderClassifiesFromItsLastRealTokenAndReloadsIdentically(@TempDir Path runs) throws Exception {
        Path llama = runs.resolve("tiny-llama");
        io.supportlm.model.init.ModelInit.write("llama", "tiny", 2, llama);
        TrainConfig c = config(runs, "model=" + llama, "optim.max_steps=6", "data.tasks=[queue]");
        ClassifierTrainer.Result r = run(c, runs.resolve("d"), false);
        ClassifierCheckpoint.Meta meta = ClassifierCheckpoint.readMeta(r.adapterDir());
        assertEquals(io.supportlm.kernels.Pooling.Mode.LAST, meta.pooling());
        try (SafetensorsFile f = SafetensorsFile.open(r.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS))) {
            assertTrue(f.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), "PEFT names for Llama");
            assertTrue(f.contains("base_model.model.classifier.weight"), "one task: transformers' head name");
        }
        List<Object> seen = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (LoadedModel model = LoadedModel.open(c.model())) {
                ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(r.adapterDir(), model.backbone());
                seen.add(new ClassifierPredictor(loaded.classifier(), model.tokenizer(), 48, model.padId(), 8)
                        .predict(List.of("my parcel is late", "refund me now please"), 2).stream()
                        .map(ClassifierPredictor.Prediction::byTask).toList());
            }
        }
        assertEquals(seen.get(0), seen.get(1));
    }

    @Test
    void promptTuningTrainsOnlyThePromptAndHeadsAndResumesWhereAnUninterruptedRunEnds(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "method=prompt", "prompt.num_virtual_tokens=8", "optim.learning_rate=1e-2",
                "optim.max_steps=16", "eval.patience=0");
        ClassifierTrainer.Result a = run(c, runs.resolve("a"), false);
        List<Double> losses = losses(a.runDir());
        assertEquals(16, losses.size());
        double first = losses.subList(0, 4).stream().mapToDouble(d -> d).average().orElseThrow();
        double last = losses.subList(12, 16).stream().mapToDouble(d -> d).average().orElseThrow();
        assertTrue(last < first, "loss fell: " + losses);
        ClassifierCheckpoint.Meta meta = ClassifierCheckpoint.readMeta(a.adapterDir());
        assertEquals("prompt", meta.method());
        int labels = meta.tasks().stream().mapToInt(ClassificationTask::numLabels).sum();
        assertEquals(8 * TINY.hiddenSize() + labels * (TINY.hiddenSize() + 1), a.trainableParameters(),
                "the prompt and the heads are all that trains");
        try (SafetensorsFile f = SafetensorsFile.open(a.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS))) {
            assertArrayEquals(new int[] {8, TINY.hiddenSize()}, f.tensor("prompt_embeddings").shape().dims());
        }

        // "Kill" run b after its last checkpoint (step 12; best/ then held the best up to step 12) and resume:
        // the prompt and its optimizer moments come back.
        ClassifierTrainer.Result b = run(c, runs.resolve("b"), false);
        ClassifierCheckpoint.deleteTree(b.runDir().resolve("adapter"));
        ClassifierTrainer.Result resumed = run(c, b.runDir(), true);
        assertEquals(losses, losses(resumed.runDir()));
        try (SafetensorsFile fa = SafetensorsFile.open(a.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS));
             SafetensorsFile fr = SafetensorsFile.open(resumed.adapterDir().resolve(ClassifierCheckpoint.ADAPTER_WEIGHTS))) {
            assertArrayEquals(fa.tensor("prompt_embeddings").toFloatArray(), fr.tensor("prompt_embeddings").toFloatArray());
        }
    }

    @Test
    void textInitTakesTheWordEmbeddingsOfTheTokenizedInitText(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "method=prompt", "prompt.num_virtual_tokens=12", "prompt.init_text=Refund please");
        try (LoadedModel model = LoadedModel.open(c.model())) {
            io.supportlm.peft.PromptTuning prompt = ClassifierTrainer.promptTuning(c, model);
            int[] ids = model.tokenizer().encode("Refund please", true).ids(); // [CLS] ... [SEP], as PEFT tokenizes
            assertEquals(101, ids[0]);
            float[] words = ((io.supportlm.model.bert.BertEncoder) model.backbone()).weights().wordEmbeddings().toFloatArray();
            int C = TINY.hiddenSize();
            for (int v = 0; v < 12; v++) {
                int id = ids[v % ids.length];
                assertArrayEquals(java.util.Arrays.copyOfRange(words, id * C, id * C + C),
                        java.util.Arrays.copyOfRange(prompt.embeddings(), v * C, v * C + C), "virtual token " + v);
            }
        }
    }

    @Test
    void resumingARunWithoutCheckpointsIsAClearError(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(c, runs.resolve("none"), true));
        assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
    }
}
