package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.model.LoadedModel;
import io.supportlm.sft.CausalLmAdapter;
import io.supportlm.train.RunFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reply generation through the command line, on a tiny random decoder from {@code model init}
 * and a task it can learn ({@link SftTaskFiles}): {@code train --task sft} on conversations, then
 * {@code eval --suite} with the adapter against the base; {@code train --task dpo} on preference
 * pairs; {@code train --resume}; {@code export merge}.
 */
class SftCliTest {
    @TempDir
    static Path dir;

    /** A small decoder (4 layers, width 128): enough to learn the task's answers; and a tiny one where learning them is not the point. */
    static Path small;
    static Path tiny;

    @BeforeAll
    static void writeModelsAndData() throws Exception {
        small = dir.resolve("small");
        tiny = dir.resolve("tiny");
        for (Path m : List.of(small, tiny)) {
            assertEquals(0, run(new StringBuilder(), "model", "init", "--arch", "llama", "--size", m.getFileName().toString(),
                    "--seed", "3", "--out", m.toString()));
        }
        SftTaskFiles.write(dir);
    }

    /** Runs the CLI, capturing stdout and stderr into {@code out}. */
    static int run(StringBuilder out, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            System.setErr(ps);
            return Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            out.append(buf.toString(StandardCharsets.UTF_8));
        }
    }

    /** {@code train --quiet} with the settings every run here shares, then {@code extra} overrides. */
    static int train(StringBuilder out, Path model, String task, String runId, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--quiet", "--task", task));
        List<String> sets = new ArrayList<>(List.of("model=" + model, "output_dir=" + dir.resolve("runs"), "run_id=" + runId,
                "threads=1", "seed=5", "sft.max_length=128", "optim.batch_size=8", "optim.warmup_ratio=0",
                "optim.schedule=constant", "lora.r=8", "lora.dropout=0", "lora.target_modules=[all-linear, lm_head]"));
        sets.addAll(List.of(extra));
        for (String s : sets) {
            args.addAll(List.of("--set", s));
        }
        return run(out, args.toArray(String[]::new));
    }

    @Test
    void sftOnConversationsBeatsTheBaseAndTheAnswersStopAtEos() throws Exception {
        StringBuilder out = new StringBuilder();
        assertEquals(0, train(out, small, "sft", "sft", "data.train=" + dir.resolve("train.jsonl"),
                "data.validation=" + dir.resolve("validation.jsonl"), "optim.learning_rate=5e-3", "optim.epochs=10", "optim.schedule=cosine", "optim.warmup_ratio=0.1",
                "eval.every=1000", "sft.system_prompt=Be brief."), out::toString);
        assertTrue(out.toString().contains("chat format: the model's chat template; system prompt: Be brief."),
                out::toString);
        assertTrue(out.toString().matches("(?s).*peak memory: (\\d+ MiB|unknown) resident, (\\d+ MiB|unmeasured) live Java heap.*"),
                out::toString);
        assertTrue(out.toString().contains("train data " + dir.resolve("train.jsonl") + ": records 96 = conversations 96 + skipped"),
                out::toString);
        Path adapter = dir.resolve("runs/sft/adapter");
        CausalLmAdapter.Meta meta = CausalLmAdapter.readMeta(adapter);
        assertEquals(List.of(258), meta.stopIds(), "<|im_end|> ends the trained replies");
        assertTrue(meta.chatTemplate());
        assertEquals("Be brief.", meta.systemPrompt());

        out.setLength(0);
        Path report = dir.resolve("report");
        assertEquals(0, run(out, "eval", "--suite", dir.resolve("suite.jsonl").toString(), "--model", small.toString(),
                "--adapter", adapter.toString(), "--max-new-tokens", "48", "--out", report.toString()), out::toString);
        JsonNode summary = new ObjectMapper().readTree(report.resolve("results.json").toFile()).path("summary");
        JsonNode tuned = summary.path("tuned");
        JsonNode base = summary.path("base");
        System.out.println(out);
        assertTrue(tuned.path("rouge_l_f1").asDouble() > base.path("rouge_l_f1").asDouble() + 0.3,
                "ROUGE-L tuned " + tuned.path("rouge_l_f1") + " vs base " + base.path("rouge_l_f1"));
        assertTrue(summary.path("judge").path("win_rate").asDouble() > 0.5, summary.path("judge")::toString);
        assertEquals(0, tuned.path("truncated_answers").asInt(), "every tuned answer ends with EOS: " + tuned);
        assertTrue(base.path("truncated_answers").asInt() > 0, "the random base does not stop: " + base);
    }

    @Test
    void dpoOnPreferencePairsRaisesTheMargin() throws Exception {
        StringBuilder out = new StringBuilder();
        assertEquals(0, train(out, tiny, "dpo", "dpo", "data.train=" + dir.resolve("pairs.jsonl"),
                "data.validation=" + dir.resolve("pairs-validation.jsonl"), "optim.learning_rate=2e-2", "optim.epochs=3",
                "eval.every=2", "dpo.beta=0.5"), out::toString);
        List<JsonNode> validation = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve("runs/dpo").resolve(RunFiles.METRICS))) {
            JsonNode n = json.readTree(line);
            if (n.path("type").asText().equals("validation")) {
                validation.add(n);
            }
        }
        double first = validation.getFirst().path("reward_margin").asDouble();
        double last = validation.getLast().path("reward_margin").asDouble();
        assertTrue(last > first + 0.5 && last > 0, "validation reward margin " + first + " -> " + last);
        assertTrue(validation.getLast().path("reward_accuracy").asDouble() > 0.9, validation.getLast()::toString);
    }

    @Test
    void aResumedRunEndsBitForBitWhereAnUninterruptedOneDoes() throws Exception {
        String[] settings = {"data.train=" + dir.resolve("train.jsonl"), "optim.epochs=2", "optim.grad_accum=2",
                "optim.batch_size=4", "sft.packing=true", "checkpoint_every=2", "lora.dropout=0.1"};
        StringBuilder out = new StringBuilder();
        assertEquals(0, train(out, tiny, "sft", "whole", settings), out::toString);
        assertEquals(0, train(out, tiny, "sft", "cut", settings), out::toString);
        Path cut = dir.resolve("runs/cut");
        Path latest = RunFiles.latestCheckpoint(cut);
        RunFiles.deleteTree(cut.resolve("adapter"));
        try (var s = Files.list(cut.resolve("checkpoints"))) {
            for (Path p : s.toList()) {
                if (!p.equals(latest)) {
                    RunFiles.deleteTree(p);
                }
            }
        }
        int resumedAt = Integer.parseInt(latest.getFileName().toString().substring("step-".length()));
        List<String> whole = Files.readAllLines(dir.resolve("runs/whole").resolve(RunFiles.METRICS));
        assertTrue(resumedAt > whole.size() / 2 && resumedAt < whole.size(), "resumed at step " + resumedAt + " of " + whole.size());
        out.setLength(0);
        assertEquals(0, run(out, "train", "--quiet", "--resume", cut.toString()), out::toString);
        assertEquals(strip(whole), strip(Files.readAllLines(cut.resolve(RunFiles.METRICS))));
        try (SafetensorsFile a = SafetensorsFile.open(dir.resolve("runs/whole/adapter").resolve(CausalLmAdapter.ADAPTER_WEIGHTS));
             SafetensorsFile b = SafetensorsFile.open(cut.resolve("adapter").resolve(CausalLmAdapter.ADAPTER_WEIGHTS))) {
            for (String name : a.names()) {
                assertArrayEquals(a.tensor(name).toFloatArray(), b.tensor(name).toFloatArray(), name);
            }
        }
    }

    /** The metrics lines without their timing. */
    private static List<String> strip(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll("\"tokens_per_s\":[^,}]*", "")).toList();
    }

    @Test
    void theAdapterMergesAndBadDataIsOneClearError() throws Exception {
        StringBuilder out = new StringBuilder();
        assertEquals(0, train(out, tiny, "sft", "merge", "data.train=" + dir.resolve("train.jsonl"), "optim.max_steps=2"), out::toString);
        Path merged = dir.resolve("merged");
        assertEquals(0, run(out, "export", "merge", "--adapter", dir.resolve("runs/merge/adapter").toString(), "--out",
                merged.toString()), out::toString);
        try (LoadedModel m = LoadedModel.open(merged.toString())) {
            assertEquals("llama", m.backbone().modelType());
        }
        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"tool\", \"content\": \"x\"}]}"));
        out.setLength(0);
        assertEquals(2, train(out, tiny, "sft", "bad", "data.train=" + bad));
        assertTrue(out.toString().contains("supportlm train: error: " + bad + ":1: messages[1].role: 'tool' is not supported"),
                out::toString);
        out.setLength(0);
        assertEquals(2, train(out, tiny, "sft", "bad", "data.train=" + bad, "sft.packing_typo=true"));
        assertTrue(out.toString().contains("unknown key 'sft.packing_typo'"), out::toString);
    }
}
