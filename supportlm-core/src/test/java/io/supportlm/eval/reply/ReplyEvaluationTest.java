package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.supportlm.model.init.ModelInit;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplyEvaluationTest {
    private static final int MAX_NEW_TOKENS = 6;

    @TempDir
    static Path models;

    @TempDir
    Path out;

    /** Two different random tiny models play "base" and "tuned". */
    @BeforeAll
    static void writeModels() throws IOException {
        ModelInit.write("llama", "tiny", 1, models.resolve("base"));
        ModelInit.write("qwen2", "tiny", 2, models.resolve("tuned"));
    }

    /** Three Bitext questions with references and two safety questions. */
    private static EvalSuite smallSuite() throws IOException {
        Path root = EvalSuiteTest.repoRoot();
        var items = new ArrayList<>(EvalSuite.load(root.resolve("suites/bitext-support-100.jsonl")).items().subList(0, 3));
        items.addAll(EvalSuite.load(root.resolve("suites/safety-support-42.jsonl")).items().subList(0, 2));
        return new EvalSuite("small", items);
    }

    private static ReplyReport.Setup setup(String suite) {
        return new ReplyReport.Setup(suite, "tuned-dir", "base-dir", null, ReplyModel.sizeOnDisk(models.resolve("base")), 0,
                MAX_NEW_TOKENS, "greedy", "offline");
    }

    @Test
    void tinyModelsAnswerEveryQuestionAndTheReportIsWritten() throws IOException {
        EvalSuite suite = smallSuite();
        var progress = new ArrayList<String>();
        ReplyReport report;
        try (ReplyModel base = ReplyModel.open(models.resolve("base").toString(), null);
             ReplyModel tuned = ReplyModel.open(models.resolve("tuned").toString(), null)) {
            assertTrue(tuned.hasChatTemplate());
            assertEquals(List.of(258), tuned.eosIds());
            report = ReplyEvaluation.run(suite, tuned.responder("tuned", MAX_NEW_TOKENS, null), base.responder("base", MAX_NEW_TOKENS, null),
                    new OfflineJudge(0.02, new RefusalDetector()), new RefusalDetector(), setup("small"),
                    (done, total, last) -> progress.add(done + "/" + total + " " + last.item().id()));
            // Greedy decoding: the same model answers the same question the same way.
            ReplyReport again = ReplyEvaluation.run(suite, tuned.responder("tuned", MAX_NEW_TOKENS, null), null, null,
                    new RefusalDetector(), setup("small"), null);
            for (int i = 0; i < suite.items().size(); i++) {
                assertEquals(report.items().get(i).tuned().answer().text(), again.items().get(i).tuned().answer().text());
                assertNull(again.items().get(i).base());
                assertNull(again.items().get(i).verdict());
            }
            assertNull(again.judge());
        }
        assertEquals(List.of("1/5 " + suite.items().get(0).id(), "2/5 " + suite.items().get(1).id(), "3/5 " + suite.items().get(2).id(),
                "4/5 safety-fraud-01", "5/5 safety-fraud-02"), progress);
        boolean differ = false;
        for (ItemResult r : report.items()) {
            assertTrue(r.tuned().answer().tokens() >= 0 && r.tuned().answer().tokens() <= MAX_NEW_TOKENS);
            assertTrue(r.tuned().answer().latencyMs() > 0);
            assertNotNull(r.verdict());
            differ |= !r.tuned().answer().text().equals(r.base().answer().text());
        }
        assertTrue(differ, "two different random models gave identical answers to every question");
        assertEquals(5, report.judge().judged());
        assertEquals(3, report.tuned().withReference());
        assertEquals(2, report.tuned().safetyQuestions());
        assertEquals(List.of("account", "fraud"), new ArrayList<>(report.byGroup().keySet()));

        ReplyReportWriter.Written w = ReplyReportWriter.write(report, out);
        assertTrue(w.consoleTable().contains("Reply evaluation of suite small (5 questions)"), w.consoleTable());
        assertTrue(w.consoleTable().contains("win / tie / loss vs base"), w.consoleTable());
        CsvMapper csv = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
        List<List<String>> rows = new ArrayList<>();
        try (MappingIterator<List<String>> it = csv.readerForListOf(String.class).readValues(w.resultsCsv().toFile())) {
            it.forEachRemaining(rows::add);
        }
        assertEquals(ReplyReportWriter.csvHeader(true), rows.get(0));
        assertEquals(6, rows.size());
        assertEquals(suite.items().get(0).reference(), rows.get(1).get(4)); // multi-line text survives quoting
        JsonNode json = new ObjectMapper().readTree(w.resultsJson().toFile());
        assertEquals(5, json.path("items").size());
        assertEquals(report.tuned().corpusBleu(), json.path("summary").path("tuned").path("bleu").asDouble(), 1e-12);
        assertTrue(json.path("summary").path("tuned").path("refusal_rate").isNumber());
        assertTrue(json.path("groups").path(1).path("tuned").path("bleu").isNull()); // no references in the safety group
        String summary = Files.readString(w.summaryMd());
        assertTrue(summary.contains("## Error buckets (tuned model)") && summary.contains("![metric by group](metrics_by_group.png)"), summary);
        assertTrue(Files.readString(out.resolve(ReplyReportWriter.SAMPLES_MD)).contains("| id | question | reference | base | tuned | verdict |"));
        for (String png : List.of(ReplyReportWriter.GROUPS_PNG, ReplyReportWriter.LATENCY_PNG)) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertTrue(image.getWidth() >= 640 && image.getHeight() >= 400, png);
        }
    }

    /** A responder with fixed answers: the reference for support questions, a refusal for safety ones. */
    private static Responder oracle() {
        return new Responder() {
            @Override
            public String name() {
                return "oracle";
            }

            @Override
            public Answer answer(String question, String context) {
                SuiteItem item = byQuestion.get(question);
                String text = item.hasReference() ? item.reference() : "I'm sorry, but I can't help with that.";
                return new Answer(text, text.length() / 4, 10 + text.length() % 7, false);
            }
        };
    }

    private static final Map<String, SuiteItem> byQuestion = new java.util.HashMap<>();

    private static Responder constant(String text) {
        return new Responder() {
            @Override
            public String name() {
                return "constant";
            }

            @Override
            public Answer answer(String question, String context) {
                return new Answer(text, 3, 5, true);
            }
        };
    }

    @Test
    void perfectAnswersScoreFullMarksAndBeatAnUnhelpfulBase() throws IOException {
        EvalSuite suite = smallSuite();
        suite.items().forEach(i -> byQuestion.put(i.question(), i));
        ReplyReport r = ReplyEvaluation.run(suite, oracle(), constant("Sure! Call 555-0100-222 about the Gold Plus Plan."),
                new OfflineJudge(0.02, new RefusalDetector()), new RefusalDetector(), setup("small"), null);
        assertEquals(100.0, r.tuned().corpusBleu(), 1e-9);
        assertEquals(1.0, r.tuned().rougeL(), 1e-12);
        assertEquals(1.0, r.tuned().exactMatch(), 1e-12);
        assertEquals(0.0, r.tuned().hallucinationRate(), 1e-12);
        assertEquals(1.0, r.tuned().refusalRate(), 1e-12);
        assertEquals(0.0, r.tuned().falseRefusalRate(), 1e-12);
        assertEquals(1.0, r.judge().winRate(), 1e-12);
        assertEquals(1.0, r.base().hallucinationRate(), 1e-12); // the phone number and the plan name are invented
        assertEquals(0.0, r.base().refusalRate(), 1e-12);
        assertEquals(5, r.base().truncatedAnswers());
        assertEquals(3.0 / 5 * 1000, r.base().tokensPerSecond(), 1e-9);
    }

    @Test
    void percentilesInterpolateLinearlyAsNumpy() {
        double[] v = {10, 20, 30, 40};
        assertEquals(25, ModelSummary.percentile(v, 50), 1e-12);
        assertEquals(38.5, ModelSummary.percentile(v, 95), 1e-12);
        assertTrue(Double.isNaN(ModelSummary.percentile(new double[0], 50)));
    }

    @Test
    void aLoraAdapterAnswersAsTheCheckpointItMergesInto(@TempDir Path dir) throws Exception {
        Path adapter = dir.resolve("adapter");
        try (ReplyModel plain = ReplyModel.open(models.resolve("base").toString(), null)) {
            io.supportlm.model.decoder.DecoderModel m = plain.model();
            var lora = io.supportlm.peft.LoraAdapter.attach(new io.supportlm.model.decoder.DecoderBackbone(m),
                    new io.supportlm.peft.LoraConfig(4, 8f, 0f, List.of("all-linear"), false, false), 3);
            java.util.Random rng = new java.util.Random(4);
            for (var l : lora.layers().values()) { // a trained-looking adapter: B non-zero
                for (int i = 0; i < l.b().length; i++) {
                    l.b()[i] = (rng.nextFloat() * 2 - 1) * 0.5f;
                }
            }
            io.supportlm.sft.CausalLmAdapter.save(adapter, lora, new io.supportlm.sft.CausalLmAdapter.Meta(
                    models.resolve("base").toString(), "llama", "lora", 0, 512, true, null, java.util.List.of()));
        }
        io.supportlm.sft.CausalLmExport.merge(adapter, null, dir.resolve("merged"));
        String question = "Where is my order?";
        try (ReplyModel base = ReplyModel.open(models.resolve("base").toString(), null);
             ReplyModel adapted = ReplyModel.open(models.resolve("base").toString(), adapter);
             ReplyModel merged = ReplyModel.open(dir.resolve("merged").toString(), null)) {
            String viaAdapter = adapted.responder("tuned", 8, null).answer(question, null).text();
            assertEquals(merged.responder("merged", 8, null).answer(question, null).text(), viaAdapter);
            assertEquals(adapter, adapted.adapter());
            org.junit.jupiter.api.Assertions.assertNotEquals(base.responder("base", 8, null).answer(question, null).text(), viaAdapter,
                    "the adapter changes the answer");
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> ReplyModel.open(models.resolve("base").toString(), dir.resolve("missing")));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }
}
