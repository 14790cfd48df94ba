package io.supportlm.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.decoder.DecoderConfig.Family;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.train.RunFiles;
import io.supportlm.train.TrainConfig;
import io.supportlm.train.TrainListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoTrainerTest {
    static PreferenceExample pair(int[] prompt, int[] chosen, int[] rejected) {
        return new PreferenceExample(CausalLmLossTest.example(concat(prompt, chosen), prompt.length),
                CausalLmLossTest.example(concat(prompt, rejected), prompt.length));
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void dpoLossGradientMatchesFiniteDifferencesAndTheReferenceIsTheBaseWithTheAdapterOff() {
        DecoderModel m = CausalLmLossTest.model(Family.LLAMA, 21);
        LoraAdapter lora = CausalLmLossTest.lora(m, true, 22);
        List<PreferenceExample> pairs = List.of(pair(new int[] {1, 5, 9}, new int[] {3, 7, 2}, new int[] {4, 2}),
                pair(new int[] {1, 6}, new int[] {11, 12, 2}, new int[] {13, 14, 15, 2}));
        CausalLmLoss policy = new CausalLmLoss(m, null, 4, 7, 3, false);
        lora.setEnabled(false);
        double[][] ref = DpoTrainer.referenceLogps(policy, pairs, 2, 0);
        lora.setEnabled(true);
        // the adapter off is the base model exactly: a fresh base gives the same reference log-probs
        DecoderModel base = CausalLmLossTest.model(Family.LLAMA, 21);
        double[][] fresh = DpoTrainer.referenceLogps(new CausalLmLoss(base, null, 4, 7, 3, false), pairs, 2, 0);
        assertArrayEquals(fresh[0], ref[0], 0);
        assertArrayEquals(fresh[1], ref[1], 0);

        SftBatch b = DpoLoss.batch(pairs, 0);
        double beta = 0.5, eps = 0.1;
        DpoLoss.Sums s = DpoLoss.run(policy, b, ref[0], ref[1], beta, eps, 0.5f);
        assertTrue(Math.abs(s.margin()) > 1e-3, "the adapter moves the policy away from the reference");
        for (var p : lora.parameters()) {
            if (p.name().contains("layers.1.self_attn.v_proj") || p.name().startsWith("lm_head")) {
                CausalLmLossTest.checkSome("dpo " + p.name(), p.values(), p.grads(),
                        () -> DpoLoss.run(policy, b, ref[0], ref[1], beta, eps, 0f).loss() / 2, 6);
            }
        }
    }

    /** Prompts naming a customer's intent; the preferred reply is polite ("Hi!"), the rejected one curt ("No."). */
    static List<PreferenceExample> preferenceTask(int n, long seed) {
        List<PreferenceExample> out = new ArrayList<>();
        java.util.Random rng = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            int[] prompt = {SftTrainerTest.BOS, 97 + rng.nextInt(4), 100 + rng.nextInt(20)};
            out.add(pair(prompt, new int[] {72, 105, 33, SftTrainerTest.EOS}, new int[] {78, 111, 46, SftTrainerTest.EOS}));
        }
        return out;
    }

    @Test
    void trainingRaisesTheChosenOverRejectedMarginAndResumesExactly(@TempDir Path runs) throws Exception {
        TrainConfig c = TrainConfig.load(null, List.of("task=dpo", "model=" + SftTrainerTest.model(runs), "data.train=unused",
                "optim.learning_rate=2e-2", "optim.batch_size=8", "optim.warmup_ratio=0", "optim.schedule=constant",
                "optim.epochs=3", "sft.max_length=16", "threads=1", "lora.r=4", "lora.dropout=0",
                "lora.target_modules=[all-linear, lm_head]", "dpo.beta=0.5", "eval.every=3", "checkpoint_every=5"));
        DpoTrainer.Result r;
        try (LoadedModel m = LoadedModel.open(c.model())) {
            r = DpoTrainer.train(c, m, preferenceTask(48, 1), preferenceTask(16, 2), List.of(SftTrainerTest.EOS), runs.resolve("dpo"), false, new TrainListener() {});
        }
        List<JsonNode> validation = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(r.runDir().resolve(RunFiles.METRICS))) {
            JsonNode n = json.readTree(line);
            if (n.get("type").asText().equals("validation")) {
                validation.add(n);
            }
        }
        double firstMargin = validation.get(0).get("reward_margin").asDouble();
        double lastMargin = validation.get(validation.size() - 1).get("reward_margin").asDouble();
        assertTrue(lastMargin > firstMargin + 0.5, "validation margin rises: " + firstMargin + " -> " + lastMargin);
        assertTrue(validation.get(validation.size() - 1).get("reward_accuracy").asDouble() > 0.9);
        assertTrue(r.lastAccuracy() > 0.9);

        // resume from the last checkpoint (step 15): the same curve to the end
        Path rd = r.runDir();
        List<String> before = Files.readAllLines(rd.resolve(RunFiles.METRICS)).stream().map(l -> l.replaceAll("\"tokens_per_s\":[^,}]*", "")).toList();
        RunFiles.deleteTree(rd.resolve("adapter"));
        try (LoadedModel m = LoadedModel.open(c.model())) {
            DpoTrainer.train(c, m, preferenceTask(48, 1), preferenceTask(16, 2), List.of(SftTrainerTest.EOS), rd, true, new TrainListener() {});
        }
        List<String> after = Files.readAllLines(rd.resolve(RunFiles.METRICS)).stream().map(l -> l.replaceAll("\"tokens_per_s\":[^,}]*", "")).toList();
        assertEquals(before, after);
    }
}
