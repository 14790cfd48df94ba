package io.supportlm.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.init.ModelInit;
import io.supportlm.train.RunFiles;
import io.supportlm.train.TrainConfig;
import io.supportlm.train.TrainListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftTrainerTest {
    static final int BOS = 256, EOS = 258;

    /**
     * A learnable reply task: the prompt names an intent (one of four tokens) among noise, the
     * reply is that intent's fixed template followed by EOS; labels cover the reply and EOS only.
     */
    static List<SftExample> intentTask(int n, long seed) {
        int[][] templates = {{72, 105, 33}, {79, 107, 46, 46}, {78, 111}, {89, 101, 115, 33, 33}};
        Random rng = new Random(seed);
        List<SftExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int intent = rng.nextInt(4);
            List<Integer> ids = new ArrayList<>(List.of(BOS, 97 + intent));
            for (int k = rng.nextInt(3); k > 0; k--) {
                ids.add(100 + rng.nextInt(20));
            }
            int promptLength = ids.size();
            for (int t : templates[intent]) {
                ids.add(t);
            }
            ids.add(EOS);
            int[] idArray = ids.stream().mapToInt(Integer::intValue).toArray();
            int[] labels = idArray.clone();
            for (int t = 0; t < promptLength; t++) {
                labels[t] = SftExample.IGNORE;
            }
            out.add(new SftExample(idArray, labels));
        }
        return out;
    }

    static Path model(Path dir) throws Exception {
        Path base = dir.resolve("base");
        if (!Files.isDirectory(base)) {
            ModelInit.write("llama", "tiny", 7, base);
        }
        return base;
    }

    static TrainConfig config(Path runs, String... overrides) throws Exception {
        List<String> o = new ArrayList<>(List.of("task=sft", "model=" + model(runs), "data.train=unused.jsonl",
                "optim.learning_rate=2e-2", "optim.batch_size=8", "optim.warmup_ratio=0", "optim.schedule=constant",
                "sft.max_length=16", "threads=1", "lora.r=4", "lora.dropout=0.1"));
        o.addAll(List.of(overrides));
        return TrainConfig.load(null, o);
    }

    static SftTrainer.Result run(TrainConfig c, Path runDir, boolean resume) throws Exception {
        try (LoadedModel m = LoadedModel.open(c.model())) {
            return SftTrainer.train(c, m, intentTask(64, 1), intentTask(16, 2), List.of(EOS), runDir, resume, new TrainListener() {});
        }
    }

    static List<Double> losses(Path runDir) throws Exception {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(runDir.resolve(RunFiles.METRICS))) {
            var n = json.readTree(line);
            out.add(n.path("loss").asDouble());
        }
        return out;
    }

    @Test
    void loraLearnsTheRepliesItsEosIncludedAndKeepsTheBestValidationAdapter(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "optim.epochs=6", "eval.every=4", "lora.target_modules=[all-linear, lm_head]");
        SftTrainer.Result r = run(c, runs.resolve("lora"), false);
        assertEquals(48, r.steps());
        List<Double> l = losses(r.runDir());
        ObjectMapper json = new ObjectMapper();
        List<Double> validation = new ArrayList<>();
        for (String line : Files.readAllLines(r.runDir().resolve(RunFiles.METRICS))) {
            if (line.contains("validation")) {
                validation.add(json.readTree(line).get("loss").asDouble());
            }
        }
        assertTrue(validation.get(validation.size() - 1) < 0.6 * validation.get(0), "validation loss falls: " + validation);
        assertEquals(validation.stream().mapToDouble(d -> d).min().orElseThrow(), r.bestValidationLoss(), 1e-12);
        assertTrue(l.get(l.size() - 2) < 0.5 * l.get(0), "training loss falls: " + l);
        // the trained model predicts EOS after a reply: EOS carried a loss, so generation stops
        try (LoadedModel m = LoadedModel.open(c.model())) {
            var decoder = ((io.supportlm.model.decoder.DecoderBackbone) m.backbone()).model();
            CausalLmAdapter a = CausalLmAdapter.load(r.adapterDir(), decoder);
            float[] logits = a.prefill(decoder.newCache(16), new int[] {BOS, 97 + 2, 78, 111});
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                best = logits[v] > logits[best] ? v : best;
            }
            assertEquals(EOS, best, "after the template the model ends its turn");
        }
    }

    @Test
    void aResumedRunEndsBitForBitWhereAnUninterruptedOneDoes(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "optim.epochs=2", "optim.grad_accum=2", "optim.batch_size=4", "sft.packing=true",
                "checkpoint_every=3", "eval.every=2", "optim.schedule=linear", "optim.warmup_ratio=0.2");
        SftTrainer.Result a = run(c, runs.resolve("a"), false);
        SftTrainer.Result b = run(c, runs.resolve("b"), false);
        assertEquals(losses(a.runDir()), losses(b.runDir()), "the same seed gives the same curve");
        // "kill" b after its last checkpoint, which lies in the second epoch, and resume
        Path rb = b.runDir();
        Path latest = RunFiles.latestCheckpoint(rb);
        int at = Integer.parseInt(latest.getFileName().toString().substring("step-".length()));
        int perEpoch = a.steps() / 2;
        assertTrue(at > perEpoch && at < a.steps(), "checkpoint " + at + " of " + a.steps() + " steps is in the second epoch");
        RunFiles.deleteTree(rb.resolve("adapter"));
        try (var s = Files.list(rb.resolve("checkpoints"))) {
            for (Path p : s.toList()) {
                if (!p.equals(latest)) {
                    RunFiles.deleteTree(p);
                }
            }
        }
        SftTrainer.Result resumed = run(c, rb, true);
        assertEquals(a.steps(), resumed.steps());
        assertEquals(losses(a.runDir()), losses(rb));
        try (SafetensorsFile fa = SafetensorsFile.open(a.adapterDir().resolve(CausalLmAdapter.ADAPTER_WEIGHTS));
             SafetensorsFile fr = SafetensorsFile.open(resumed.adapterDir().resolve(CausalLmAdapter.ADAPTER_WEIGHTS))) {
            for (String name : fa.names()) {
                assertArrayEquals(fa.tensor(name).toFloatArray(), fr.tensor(name).toFloatArray(), name);
            }
        }
    }

    @Test
    void qloraAndPromptTuningTrainAndSaveLoadableAdapters(@TempDir Path runs) throws Exception {
        for (String method : List.of("qlora", "prompt")) {
            TrainConfig c = config(runs, "method=" + method, "optim.epochs=2", "prompt.num_virtual_tokens=4",
                    "prompt.init_text=Reply", "train.gradient_checkpointing=true");
            SftTrainer.Result r = run(c, runs.resolve(method), false);
            List<Double> l = losses(r.runDir());
            assertTrue(l.get(l.size() - 2) < l.get(0), method + " loss falls: " + l);
            assertEquals(method, CausalLmAdapter.readMeta(r.adapterDir()).method());
            try (LoadedModel m = LoadedModel.open(c.model())) {
                CausalLmAdapter a = CausalLmAdapter.load(r.adapterDir(),
                        ((io.supportlm.model.decoder.DecoderBackbone) m.backbone()).model());
                assertEquals(method.equals("prompt") ? 4 : 0, a.virtualTokens());
            }
        }
    }

    @Test
    void anExampleLongerThanMaxLengthIsRejected(@TempDir Path runs) throws Exception {
        TrainConfig c = config(runs, "sft.max_length=4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(c, runs.resolve("x"), false));
        assertTrue(e.getMessage().contains("sft.max_length"), e.getMessage());
    }
}
