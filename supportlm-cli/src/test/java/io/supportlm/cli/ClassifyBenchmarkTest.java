package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.Jsonl;
import io.supportlm.model.init.ModelInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench classify on a data set laid out as shared/datasets/banking77, with a tiny encoder in place of MiniLM. */
class ClassifyBenchmarkTest {
    @TempDir
    Path dir;

    private Path datasets() throws Exception {
        Path banking = Files.createDirectories(dir.resolve("datasets/banking77"));
        String[] intents = {"card_arrival", "lost_card", "refund", "top_up"};
        List<String> train = new ArrayList<>(List.of("text,category"));
        List<String> test = new ArrayList<>(List.of("text,category"));
        for (String intent : intents) {
            String words = intent.replace('_', ' ');
            for (int i = 0; i < 30; i++) {
                train.add("question " + i + " about my " + words + "," + intent);
            }
            for (int i = 0; i < 5; i++) {
                test.add("another question " + i + " on " + words + "," + intent);
            }
        }
        Files.write(banking.resolve("train.csv"), train);
        Files.write(banking.resolve("test.csv"), test);
        return dir.resolve("datasets");
    }

    @Test
    void refitTrainsAgainOnTrainAndValidationAndScoresTheSameTestSplitAloneAndAsAnEnsemble() throws Exception {
        Path work = dir.resolve("work");
        ModelInit.write("bert", "tiny", 3, work.resolve("models/minilm")); // stands in for the imported encoder
        assertEquals(0, ClassifyBenchmark.run("banking77", "minilm", datasets(), work, 1, List.of("lora"),
                List.of("optim.max_steps=3", "eval.every=2", "optim.batch_size=16"), true, 2, null));

        Path data = work.resolve("data/banking77");
        int train = Jsonl.read(data.resolve("train.jsonl")).size();
        int validation = Jsonl.read(data.resolve("validation.jsonl")).size();
        assertTrue(validation > 0 && train + validation == 120, train + " + " + validation);
        assertEquals(train + validation, Jsonl.read(data.resolve("train+validation.jsonl")).size());

        String refitConfig = Files.readString(work.resolve("runs/bench-banking77-minilm-refit/config.yaml"));
        assertTrue(refitConfig.contains("train+validation.jsonl") && refitConfig.contains("validation: null"), refitConfig);
        assertTrue(Files.isRegularFile(work.resolve("runs/bench-banking77-minilm-refit/adapter/adapter_model.safetensors")));
        // The second refit differs only by its seed.
        String second = Files.readString(work.resolve("runs/bench-banking77-minilm-refit-seed43/config.yaml"));
        assertEquals(refitConfig.replace("seed: 42", "seed: 43").replace("run_id: \"bench-banking77-minilm-refit\"",
                "run_id: \"bench-banking77-minilm-refit-seed43\""), second);
        // Every model, and the ensemble of the two refits, is scored on the same 20 test questions.
        for (String run : List.of("bench-banking77-minilm", "bench-banking77-minilm-refit", "bench-banking77-minilm-refit-seed43",
                "bench-banking77-minilm-refit-ensemble2")) {
            String metrics = Files.readString(work.resolve("results").resolve(run).resolve("metrics.json"));
            assertTrue(metrics.contains("\"evaluated\" : 20"), run + ": " + metrics);
        }
    }

    @Test
    void refitRunsWithOneMethodOnly() {
        var e = assertThrows(IllegalArgumentException.class, () -> ClassifyBenchmark.run("banking77", "minilm", dir, dir, 1,
                List.of("lora", "qlora"), List.of(), true, 1, null));
        assertTrue(e.getMessage().contains("--refit runs with one method"), e.getMessage());
        var ensemble = assertThrows(IllegalArgumentException.class, () -> ClassifyBenchmark.run("banking77", "minilm", dir, dir, 1,
                List.of("lora"), List.of(), false, 3, null));
        assertTrue(ensemble.getMessage().contains("give --refit"), ensemble.getMessage());
    }
}
