package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.LoadedModel;
import io.supportlm.model.init.ModelInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftCliTest {
    @Test
    void trainSftAndDpoFromPreTokenizedJsonlThenMergeTheAdapter(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        ModelInit.write("llama", "tiny", 3, model);
        List<String> sft = new ArrayList<>(), dpo = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int intent = 97 + i % 3;
            sft.add("{\"ids\": [256, " + intent + ", 72, 105, 258], \"labels\": [-100, -100, 72, 105, 258]}");
            dpo.add("{\"chosen\": {\"ids\": [256, " + intent + ", 72, 258], \"labels\": [-100, -100, 72, 258]},"
                    + " \"rejected\": {\"ids\": [256, " + intent + ", 78, 258], \"labels\": [-100, -100, 78, 258]}}");
        }
        Files.write(dir.resolve("sft.jsonl"), sft);
        Files.write(dir.resolve("dpo.jsonl"), dpo);
        for (String task : List.of("sft", "dpo")) {
            int code = Main.run("train", "--quiet", "--task", task, "--set", "model=" + model, "--set",
                    "data.train=" + dir.resolve(task + ".jsonl"), "--set", "output_dir=" + dir.resolve("runs"), "--set", "run_id=" + task,
                    "--set", "optim.batch_size=4", "--set", "optim.epochs=1", "--set", "sft.max_length=8", "--set", "threads=1");
            assertEquals(0, code, task);
            assertTrue(Files.isRegularFile(dir.resolve("runs").resolve(task).resolve("adapter/adapter_config.json")), task);
        }
        Path merged = dir.resolve("merged");
        assertEquals(0, Main.run("export", "merge", "--adapter", dir.resolve("runs/sft/adapter").toString(), "--out", merged.toString()));
        try (LoadedModel m = LoadedModel.open(merged.toString())) {
            assertEquals("llama", m.backbone().modelType());
        }
        // a malformed line is an error naming the file and line, not a stack trace
        Files.write(dir.resolve("bad.jsonl"), List.of("{\"ids\": [1, 2], \"labels\": [1]}"));
        assertEquals(2, Main.run("train", "--quiet", "--task", "sft", "--set", "model=" + model, "--set",
                "data.train=" + dir.resolve("bad.jsonl"), "--set", "output_dir=" + dir.resolve("runs")));
    }
}
