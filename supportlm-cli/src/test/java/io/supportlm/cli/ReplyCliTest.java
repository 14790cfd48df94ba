package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.eval.reply.DecoderResponder;
import io.supportlm.eval.reply.EvalSuite;
import io.supportlm.eval.reply.ReplyModel;
import io.supportlm.eval.reply.SuiteItem;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.init.ModelInit;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval --suite}, {@code data suite} and {@code chat} through the command line, with tiny random decoders. */
class ReplyCliTest {
    @TempDir
    static Path models;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModels() throws Exception {
        ModelInit.write("llama", "tiny", 11, models.resolve("base"));
        ModelInit.write("llama", "tiny", 12, models.resolve("tuned"));
    }

    /** Runs the CLI with {@code stdin}, capturing stdout and stderr into {@code out}. */
    private static int run(StringBuilder out, String stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            System.setErr(ps);
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            return Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
            out.append(buf.toString(StandardCharsets.UTF_8));
        }
    }

    private static Path suites() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(p.resolve("suites"))) {
            p = p.getParent();
        }
        return p.resolve("suites");
    }

    @Test
    void evalSuiteComparesTunedWithBaseAndWritesTheReport() throws Exception {
        StringBuilder out = new StringBuilder();
        Path report = dir.resolve("report");
        int code = run(out, "", "eval", "--suite", suites().resolve("bitext-support-100.jsonl").toString(),
                "--suite", suites().resolve("safety-support-42.jsonl").toString(), "--limit", "3",
                "--model", models.resolve("base").toString(), "--tuned-model", models.resolve("tuned").toString(),
                "--max-new-tokens", "4", "--out", report.toString());
        assertEquals(0, code, out::toString);
        assertTrue(out.toString().contains("Reply evaluation of suite bitext-support-100+safety-support-42 (3 questions)"), out::toString);
        assertTrue(out.toString().contains("  3/3 "), out::toString);
        JsonNode json = new ObjectMapper().readTree(report.resolve("results.json").toFile());
        assertEquals(3, json.path("items").size());
        assertEquals(3, json.path("summary").path("judge").path("wins").asInt() + json.path("summary").path("judge").path("ties").asInt()
                + json.path("summary").path("judge").path("losses").asInt());
        for (String f : List.of("results.csv", "summary.md", "samples.md", "metrics_by_group.png", "latency_histogram.png")) {
            assertTrue(Files.isRegularFile(report.resolve(f)), f);
        }
    }

    @Test
    void evalSuiteErrorsAreOneClearLine() {
        StringBuilder out = new StringBuilder();
        String suite = suites().resolve("safety-support-42.jsonl").toString();
        assertEquals(2, run(out, "", "eval", "--suite", suite, "--model", models.resolve("base").toString(),
                "--adapter", models.resolve("tuned").toString()));
        assertTrue(out.toString().contains("supportlm eval: error: ") && out.toString().contains("not a PEFT adapter (no adapter_config.json)"), out::toString);
        out.setLength(0);
        assertEquals(2, run(out, "", "eval", "--suite", suite));
        assertTrue(out.toString().contains("--suite needs --model"), out::toString);
        out.setLength(0);
        assertEquals(2, run(out, "", "eval", "--model", "x"));
        assertTrue(out.toString().contains("give --adapter and --data to evaluate a classifier, or --suite and --model"), out::toString);
        out.setLength(0);
        assertEquals(2, run(out, "", "eval", "--suite", suite, "--suite", suite, "--model", models.resolve("base").toString()));
        assertTrue(out.toString().contains("ids must be unique across suites"), out::toString);
    }

    @Test
    void dataSuiteDrawsFromTheTestSplitOfAnIngestedFile() throws Exception {
        var csv = new StringBuilder("instruction,response,intent,category\n");
        for (int i = 0; i < 120; i++) {
            String intent = i % 3 == 0 ? "cancel_order" : i % 3 == 1 ? "track_order" : "get_refund";
            csv.append("\"request number ").append(i).append(" about ").append(intent).append("\",\"answer ").append(i)
                    .append("\nsecond line\",").append(intent).append(",ORDER\n");
        }
        Path data = dir.resolve("tickets.csv");
        Files.writeString(data, csv);
        Path config = dir.resolve("ingest.yaml");
        Files.writeString(config, """
                format: csv
                mapping:
                  inputs.text: instruction
                  outputs.answer: response
                  outputs.labels.intent: intent
                  outputs.labels.category: category
                """);
        StringBuilder out = new StringBuilder();
        Path suite = dir.resolve("suite.jsonl");
        assertEquals(0, run(out, "", "data", "suite", "--config", config.toString(), "--size", "6", "--out", suite.toString(),
                data.toString()), out::toString);
        assertTrue(out.toString().contains("drew 6 of 12 test-split records (stratified by intent, 3 strata)"), out::toString);
        List<SuiteItem> items = EvalSuite.load(suite).items();
        assertEquals(6, items.size());
        assertEquals(2, items.stream().filter(i -> "track_order".equals(i.intent())).count());
        assertTrue(items.getFirst().reference().endsWith("\nsecond line"));
    }

    @Test
    void chatStreamsRepliesKeepsTheConversationAndObeysCommands() throws Exception {
        String input = String.join("\n", "/params temperature=0 max_new_tokens=5", "hello there", "and again", "/params bogus=1",
                "/params top_p=2", "/system Be brief.", "/reset", "/frobnicate", "hello there", "/exit", "never read") + "\n";
        var buf = new ByteArrayOutputStream();
        try (ReplyModel m = ReplyModel.open(models.resolve("tuned").toString(), null)) {
            DecoderResponder responder = m.responder("chat", m.greedy(5), null);
            var flushes = new java.util.concurrent.atomic.AtomicInteger();
            var stream = new PrintStream(buf, false, StandardCharsets.UTF_8) {
                @Override
                public void flush() {
                    flushes.incrementAndGet();
                    super.flush();
                }
            };
            var repl = new ChatRepl(responder, m.eosIds(), new BufferedReader(new StringReader(input)), stream, false, null,
                    new ChatRepl.Params(0.7, 0.9, 64, 0));
            repl.run();
            stream.close();
            assertEquals(3 * 5 + 1, flushes.get()); // each generated token is flushed as it comes; one more on close
            // What the model says to the same conversations, generated independently.
            String first = responder.generate(List.of(ChatTemplate.Message.user("hello there")), null).text();
            String second = responder.generate(List.of(ChatTemplate.Message.user("hello there"), ChatTemplate.Message.assistant(first),
                    ChatTemplate.Message.user("and again")), null).text();
            String afterReset = responder.generate(List.of(ChatTemplate.Message.system("Be brief."), ChatTemplate.Message.user("hello there")),
                    null).text();
            String transcript = buf.toString(StandardCharsets.UTF_8);
            String expected = "(temperature=0 top_p=0.9 max_new_tokens=5 seed=0)\n"
                    + first + "\n" + cut(5)
                    + second + "\n" + cut(5)
                    + "(error: unknown parameter 'bogus' (temperature, top_p, max_new_tokens, seed))\n"
                    + "(error: top_p must be in (0, 1], got 2.0)\n"
                    + "(system prompt set)\n"
                    + "(conversation cleared)\n"
                    + "(unknown command /frobnicate; /help lists them)\n"
                    + afterReset + "\n" + cut(5);
            assertEquals(expected, transcript);
        }
    }

    /** A random tiny model never says EOS within 5 tokens, so every reply is cut. */
    private static String cut(int n) {
        return "(reply cut at max_new_tokens=" + n + ")\n";
    }

    @Test
    void chatCommandReadsStdinUntilItsEnd() {
        StringBuilder out = new StringBuilder();
        assertEquals(0, run(out, "/params temperature=0 max_new_tokens=3\nhi\n", "chat", "--model", models.resolve("base").toString()),
                out::toString);
        assertTrue(out.toString().contains("(temperature=0 top_p=0.9 max_new_tokens=3 seed=0)"), out::toString);
        assertTrue(out.toString().contains("(reply cut at max_new_tokens=3)"), out::toString);
    }
}
