package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.eval.reply.ModelSummary;
import io.supportlm.eval.reply.ReplyReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir
    Path dir;

    @Test
    void comparesTheThreeMethodsOnTheSameDataAndWritesOneReport() throws Exception {
        Path model = dir.resolve("tiny");
        StringBuilder out = new StringBuilder();
        assertEquals(0, SftCliTest.run(out, "model", "init", "--arch", "llama", "--size", "tiny", "--seed", "3", "--out",
                model.toString()));
        SftTaskFiles.write(dir);
        Path report = dir.resolve("compare");
        int code = SftCliTest.run(out, "compare", "--quiet", "--model", model.toString(), "--train", dir.resolve("train.jsonl").toString(),
                "--suite", dir.resolve("suite.jsonl").toString(), "--max-new-tokens", "24", "--out", report.toString(),
                "--set", "optim.max_steps=4", "--set", "optim.batch_size=8", "--set", "threads=1", "--set", "sft.max_length=128",
                "--set", "prompt.num_virtual_tokens=4", "--lr", "lora=5e-3", "--lr", "qlora=5e-3");
        assertEquals(0, code, out::toString);
        JsonNode json = new ObjectMapper().readTree(report.resolve(ReplyMethodReport.JSON_FILE).toFile());
        JsonNode methods = json.path("methods");
        assertEquals(List.of("lora", "qlora", "prompt"), methods.findValuesAsText("method"));
        assertEquals(5e-3, methods.get(1).path("learning_rate").asDouble());
        assertEquals(1e-2, methods.get(2).path("learning_rate").asDouble(), 1e-12, "prompt tuning: 20 × the config's 5e-4");
        for (JsonNode m : methods) {
            assertEquals(4, m.path("steps").asInt(), m::toString);
            assertTrue(m.path("adapter_bytes").asLong() > 0 && m.path("train_seconds").asDouble() > 0, m::toString);
            assertTrue(m.has("rouge_l_f1") && m.has("bleu") && m.has("exact_match") && m.has("win_rate") && m.has("latency_p95_ms")
                    && m.has("tokens_per_second") && m.has("hallucination_rate"), m::toString);
            assertEquals(12, m.path("wins").asInt() + m.path("ties").asInt() + m.path("losses").asInt());
            assertTrue(Files.isRegularFile(report.resolve(m.path("method").asText()).resolve("results.json")));
        }
        // same LoRA shape for both; 4 virtual tokens × width 16 for prompt tuning
        assertEquals(methods.get(0).path("trainable_parameters").asLong(), methods.get(1).path("trainable_parameters").asLong());
        assertEquals(4 * 16, methods.get(2).path("trainable_parameters").asLong());
        assertTrue(json.path("recommendation").has("reason"));
        String md = Files.readString(report.resolve(ReplyMethodReport.MARKDOWN));
        assertTrue(md.contains("| lora |") && md.contains("| qlora |") && md.contains("| prompt |") && md.contains("| base |"), md);
        assertTrue(md.contains("**Recommendation**: " + json.path("recommendation").path("reason").asText()), md);
        assertTrue(Files.size(report.resolve(ReplyMethodReport.CHART)) > 1000);
    }

    private static ModelSummary summary(double rouge) {
        return new ModelSummary("m", 10, 10, 20, rouge, 0.1, 10, 0, 0, 0, 0, Double.NaN, 0, 10, 20, 100, 12, 0, 0);
    }

    private static ReplyMethodReport.Row row(String method, double rouge, long adapterBytes, long params, double winRate) {
        int wins = (int) Math.round(winRate * 10);
        return new ReplyMethodReport.Row(method, 1e-3, 10, 5, params, adapterBytes, summary(rouge),
                new ReplyReport.JudgeSummary("offline", wins, 10 - wins, 0), Path.of(method));
    }

    @Test
    void theRecommendationIsTheCheapestMethodWithinTheToleranceOfTheBest() {
        ModelSummary base = summary(0.1);
        var lora = row("lora", 0.60, 300_000, 70_000, 0.9);
        var qlora = row("qlora", 0.59, 300_000, 70_000, 0.9);
        var prompt = row("prompt", 0.40, 5_000, 2_000, 0.7);
        // prompt tuning is far cheaper but not within 0.02 of the best; lora and qlora cost the same: the first listed wins
        assertEquals("lora", ReplyMethodReport.recommend(List.of(lora, qlora, prompt), base, 0.02).method());
        // within a wide tolerance the smallest adapter wins
        assertEquals("prompt", ReplyMethodReport.recommend(List.of(lora, qlora, prompt), base, 0.25).method());
        // nothing beats the base: no recommendation, and the reason says so
        var weak = ReplyMethodReport.recommend(List.of(row("lora", 0.05, 1, 1, 0.1)), base, 0.02);
        assertNull(weak.method());
        assertTrue(weak.reason().startsWith("none: the best method (lora"), weak.reason());
    }
}
