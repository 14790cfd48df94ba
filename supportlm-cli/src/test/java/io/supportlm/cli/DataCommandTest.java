package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.Jsonl;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
    @TempDir Path dir;

    /** Runs the CLI capturing stdout and stderr into {@code out}. */
    private static int run(StringBuilder out, String... args) {
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

    @Test
    void synthValidateSplitReportRunEndToEnd() throws Exception {
        StringBuilder out = new StringBuilder();
        assertEquals(0, run(out, "data", "synth", "--n", "300", "--seed", "7", "--pii", "0.2", "--out", dir.toString()), out::toString);
        Path tickets = dir.resolve("tickets.jsonl");
        assertEquals(300, Jsonl.read(tickets).size());
        assertEquals(0, run(out, "data", "validate", tickets.toString()), out::toString);
        assertTrue(out.toString().contains("rows read 300 = accepted 300 + rejected 0 + duplicates dropped 0"), out::toString);

        Path clean = dir.resolve("clean.jsonl");
        Path ingestReport = dir.resolve("ingest-report.json");
        assertEquals(0, run(out, "data", "ingest", "--out", clean.toString(), "--report", ingestReport.toString(), tickets.toString()),
                out::toString);
        assertTrue(Files.readString(clean).contains("[EMAIL]") || Files.readString(clean).contains("[PHONE]"));
        assertEquals(0, run(out, "data", "split", clean.toString(), "--out", dir.resolve("splits").toString(), "--stratify", "queue"),
                out::toString);
        assertEquals(0, run(out, "data", "report", dir.resolve("splits").toString(), "--out", dir.resolve("report").toString(),
                "--ingest-report", ingestReport.toString()), out::toString);
        String md = Files.readString(dir.resolve("report/report.md"));
        assertTrue(md.contains("## Labels: queue"), md);
        assertTrue(md.contains("rows read 300 = accepted 300 + rejected 0 + duplicates dropped 0") && md.contains("| EMAIL |"), md);
        assertTrue(Files.isRegularFile(dir.resolve("report/labels-queue.png")));
    }

    @Test
    void rejectionsFailValidateAndStrictIngestButNotPlainIngest() throws Exception {
        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, "text,queue\nwhere is my parcel,shipping\n,billing\nrefund me,unknown\n");
        Path config = dir.resolve("map.yaml");
        Files.writeString(config, """
                mapping:
                  inputs.text: text
                  outputs.labels.queue: queue
                allowedLabels:
                  queue: [shipping, billing]
                """);
        StringBuilder out = new StringBuilder();
        Path report = dir.resolve("rejects.json");
        assertEquals(1, run(out, "data", "validate", "--config", config.toString(), "--report", report.toString(), csv.toString()));
        assertTrue(out.toString().contains("in.csv:3: EMPTY_TEXT") && out.toString().contains("in.csv:4: UNKNOWN_LABEL"), out::toString);
        assertTrue(Files.readString(report).contains("UNKNOWN_LABEL"));
        Path result = dir.resolve("out.jsonl");
        assertEquals(1, run(out, "data", "ingest", "--strict", "--config", config.toString(), "--out", result.toString(), csv.toString()));
        assertTrue(Files.notExists(result));
        assertEquals(0, run(out, "data", "ingest", "--config", config.toString(), "--out", result.toString(), csv.toString()));
        assertEquals(1, Jsonl.read(result).size());
    }

    @Test
    void labelWritesTeacherLabelsAndFailsOnlyForBadAnswers() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/v1/chat/completions", ex -> {
            calls.incrementAndGet();
            String req = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String label = req.contains("refund") ? "billing" : req.contains("parcel") ? "shipping" : "astrology";
            String body = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"queue\\\": \\\"" + label
                    + "\\\"}\"}}]}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        server.start();
        try {
            Path in = dir.resolve("raw.jsonl");
            Files.writeString(in, """
                    {"id":"1","inputs":{"text":"I want a refund"},"meta":{"source":"s"}}
                    {"id":"2","inputs":{"text":"where is my parcel"},"meta":{"source":"s"}}
                    {"id":"3","inputs":{"text":"hello?"},"meta":{"source":"s"}}
                    """);
            Path tasks = dir.resolve("tasks.yaml");
            Files.writeString(tasks, "tasks:\n  queue:\n    labels: [billing, shipping]\n");
            Path out = dir.resolve("labelled.jsonl");
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
            String[] args = {"data", "label", in.toString(), "--out", out.toString(), "--teacher-url", url, "--teacher-model", "m",
                    "--tasks", tasks.toString(), "--cache", dir.resolve("cache").toString(), "--attempts", "2",
                    "--report", dir.resolve("label-report.json").toString()};
            StringBuilder log = new StringBuilder();
            assertEquals(1, run(log, args), log::toString);
            assertEquals(List.of("billing", "shipping"), Jsonl.read(out).stream().map(r -> r.label("queue")).toList());
            assertTrue(Files.readString(dir.resolve("label-report.json")).contains("astrology"));
            int first = calls.get();
            assertEquals(4, first); // 1 + 1 + 2 attempts for the bad answer
            assertEquals(1, run(log, args));
            assertEquals(first + 2, calls.get(), "cached answers cost nothing; only the failed one is asked again");

            Path csv = dir.resolve("raw.csv");
            Files.writeString(csv, "message\nI want a refund\nwhere is my parcel\n");
            Path map = dir.resolve("map.yaml");
            Files.writeString(map, "mapping:\n  inputs.text: message\n");
            String[] raw = args.clone();
            raw[2] = csv.toString();
            String[] withConfig = java.util.stream.Stream.concat(java.util.Arrays.stream(raw), java.util.stream.Stream.of("--config", map.toString()))
                    .toArray(String[]::new);
            assertEquals(0, run(log, withConfig), log::toString);
            assertEquals(List.of("raw:2", "raw:3"), Jsonl.read(out).stream().map(r -> r.id()).toList());
            assertEquals(first + 2, calls.get(), "same texts, same prompts: served from the cache");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void badInputIsExitCodeTwoWithAClearMessage() {
        StringBuilder out = new StringBuilder();
        assertEquals(2, run(out, "data", "validate", dir.resolve("missing.jsonl").toString()));
        assertTrue(out.toString().contains("input file not found"), out::toString);
        assertEquals(2, run(out, "data", "synth", "--n", "5", "--queue-weights", "bogus=1", "--out", dir.toString()));
        assertTrue(out.toString().contains("unknown queue 'bogus'"), out::toString);
        assertEquals(2, run(out, "data", "split", "x.jsonl", "--out", dir.toString(), "--ratios", "0.5,0.5"));
        assertEquals(0, run(out, "data", "--help"));
        assertTrue(out.toString().contains("synth") && out.toString().contains("validate"), out::toString);
    }
}
