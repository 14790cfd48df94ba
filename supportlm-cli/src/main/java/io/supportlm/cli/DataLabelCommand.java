package io.supportlm.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.ingest.IngestResult;
import io.supportlm.data.label.LabelTasks;
import io.supportlm.data.label.LabelingResult;
import io.supportlm.data.label.TeacherConfig;
import io.supportlm.data.label.TeacherLabeler;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "label", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Label records with a teacher model behind any OpenAI-compatible chat endpoint (distillation). "
                + "Answers must be JSON matching tasks.yaml; invalid ones are retried, then reported. Valid answers are "
                + "cached on disk, so a rerun costs nothing. The API key is read from the environment.",
                "Exit codes: 0 all labelled, 1 some records failed (the rest are written), 2 bad input."})
public final class DataLabelCommand implements Callable<Integer> {
    @Parameters(arity = "1", paramLabel = "FILE", description = "Records to label: canonical JSONL, or any format with --config.")
    Path input;

    @Option(names = "--config", description = "Ingest config (YAML) to read raw CSV/TSV/JSON/JSONL texts first (validated, redacted, deduplicated).")
    Path ingestConfig;

    @Option(names = "--out", required = true, description = "Output JSONL with the teacher's labels added.")
    Path out;

    @Option(names = "--teacher-url", required = true, description = "Endpoint base URL, e.g. http://localhost:8000/v1 or https://api.openai.com/v1.")
    URI teacherUrl;

    @Option(names = "--teacher-model", required = true, description = "Model name to request.")
    String model;

    @Option(names = "--tasks", required = true, description = "Label schema (YAML): tasks with their allowed labels.")
    Path tasksFile;

    @Option(names = "--cache", defaultValue = ".supportlm/teacher-cache", description = "Directory for cached answers.")
    Path cache;

    @Option(names = "--concurrency", defaultValue = "4", description = "Requests in flight at once.")
    int concurrency;

    @Option(names = "--rps", defaultValue = "0", description = "Maximum requests per second (0 = no limit).")
    double rps;

    @Option(names = "--attempts", defaultValue = "3", description = "Tries per record (HTTP errors and invalid answers).")
    int attempts;

    @Option(names = "--timeout", defaultValue = "60", description = "Per-request timeout in seconds.")
    int timeoutSeconds;

    @Option(names = "--api-key-env", defaultValue = "OPENAI_API_KEY", description = "Environment variable holding the API key (unset: no auth header).")
    String apiKeyEnv;

    @Option(names = "--no-json-mode", description = "Do not send response_format json_object (for servers that reject it).")
    boolean noJsonMode;

    @Option(names = "--report", description = "Write the failures (id, reason, attempts, last answer) to this JSON file.")
    Path report;

    @Mixin
    DataOptions options;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(input)) {
            throw new IllegalArgumentException("input file not found: " + input);
        }
        if (!Files.isRegularFile(tasksFile)) {
            throw new IllegalArgumentException("tasks file not found: " + tasksFile);
        }
        LabelTasks tasks = LabelTasks.load(tasksFile);
        TeacherConfig config = new TeacherConfig(teacherUrl, model, System.getenv(apiKeyEnv), concurrency, rps, attempts,
                Duration.ofSeconds(timeoutSeconds), cache, !noJsonMode);
        List<SupportRecord> records;
        if (ingestConfig == null) {
            records = Jsonl.read(input);
        } else {
            IngestResult ingested = IngestRun.run(ingestConfig, List.of(input), null, options);
            records = ingested.records();
        }
        LabelingResult result;
        try (CliProgress progress = CliProgress.start("label", records.size(), options.showProgress())) {
            result = new TeacherLabeler(config, tasks).label(records, progress::stepTo);
        }
        Jsonl.write(out, result.labelled());
        System.out.printf("labelled %d of %d records (%d HTTP requests, %d from cache) -> %s%n", result.labelled().size(),
                records.size(), result.httpRequests(), result.cacheHits(), out);
        result.failures().stream().limit(20).forEach(f -> System.out.println("  failed " + f.id() + " after " + f.attempts()
                + " attempt(s): " + f.reason()));
        if (report != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("records", records.size());
            r.put("labelled", result.labelled().size());
            r.put("httpRequests", result.httpRequests());
            r.put("cacheHits", result.cacheHits());
            r.put("failures", result.failures());
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(report.toFile(), r);
        }
        return result.failures().isEmpty() ? 0 : 1;
    }
}
