package io.supportlm.cli;

import io.supportlm.server.AccessLog;
import io.supportlm.server.ClassifierCheckpoints;
import io.supportlm.server.ConcurrencyLimit;
import io.supportlm.server.LoadedModels;
import io.supportlm.server.ModelNames;
import io.supportlm.server.ServerConfig;
import io.supportlm.server.SupportServer;
import io.supportlm.server.policy.Policy;
import io.supportlm.server.policy.PolicyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code supportlm serve}: the HTTP server over a base model and its adapters, until SIGTERM or
 * Ctrl-C, which drain in-flight requests before exiting.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over HTTP: /v1/classify(/batch) for an encoder with classifier adapters;",
                "/v1/generate, /v1/completions and /v1/chat/completions (OpenAI-compatible, streaming) for a decoder;",
                "/v1/models, /healthz, /readyz, /metrics for both.",
                "API keys: --api-key-file (one per line, # comments) and/or SUPPORTLM_API_KEYS (comma-separated); none means no authentication.",
                "Access log: one JSON line per request on standard output."})
final class ServeCommand implements Callable<Integer> {
    static final String KEYS_ENV = "SUPPORTLM_API_KEYS";

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory (Hugging Face layout: config.json, model.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--name", paramLabel = "NAME", description = "Name of the base model in /v1/models. Default: the directory's name.")
    String name;

    @Option(names = "--adapter", paramLabel = "NAME=DIR", description = {"An adapter to serve over the base, chosen by the request's 'model' field. Repeatable.",
            "Over an encoder: a classifier saved by training. Over a decoder: a PEFT causal-LM LoRA directory "
                    + "(adapter_config.json + adapter_model.safetensors), served for generation."})
    Map<String, Path> adapters = new LinkedHashMap<>();

    @Option(names = "--ensemble", paramLabel = "NAME=DIR,DIR…", description = {"Classifiers over the same tasks served as one model "
            + "under NAME, their probabilities averaged (as eval and classify score several --adapter). Repeatable; encoders only."})
    Map<String, String> ensembles = new LinkedHashMap<>();

    @Option(names = "--policy", paramLabel = "FILE", description = "Policy YAML: PII redaction, escalation, priority, out-of-scope guardrail.")
    Path policy;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (0.0.0.0 for all interfaces). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "Accepted bearer tokens, one per line.")
    Path apiKeyFile;

    @Option(names = "--max-batch", defaultValue = "16", description = "Texts per classification forward. Default: ${DEFAULT-VALUE}.")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5", description = "How long a batch waits to fill. Default: ${DEFAULT-VALUE}.")
    long maxWaitMs;

    @Option(names = "--queue", defaultValue = "256", description = "Texts waiting per model before requests get 429. Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--generation-slots", defaultValue = "" + SupportServer.DEFAULT_GENERATION_SLOTS,
            description = "Generation requests that run at once (each with its own KV cache). Default: ${DEFAULT-VALUE}.")
    int generationSlots;

    @Option(names = "--generation-queue", defaultValue = "" + SupportServer.DEFAULT_GENERATION_QUEUE,
            description = "Generation requests that may wait for a slot; beyond, 429 with Retry-After. Default: ${DEFAULT-VALUE}.")
    int generationQueue;

    @Option(names = "--max-length", defaultValue = "256", description = "Tokens per text; longer texts are truncated. Default: ${DEFAULT-VALUE}.")
    int maxLength;

    @Option(names = "--timeout-ms", defaultValue = "30000", description = "Per-request timeout (504 after). Default: ${DEFAULT-VALUE}.")
    long timeoutMs;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "Larger request bodies get 413. Default: ${DEFAULT-VALUE}.")
    long maxBodyBytes;

    @Option(names = "--shutdown-grace-ms", defaultValue = "30000", description = "How long shutdown waits for in-flight requests. Default: ${DEFAULT-VALUE}.")
    long graceMs;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "Allow browser requests from this origin (CORS is off otherwise). Repeatable.")
    List<String> corsOrigins = new ArrayList<>();

    /** The process environment; a field so that tests can give their own. */
    Map<String, String> env = System.getenv();

    /** A started server and what it holds open. */
    record Running(SupportServer server, LoadedModels models) implements AutoCloseable {
        @Override
        public void close() {
            try {
                server.stop();
            } finally {
                models.close();
            }
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Running running = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("supportlm serve: draining in-flight requests...");
            running.close();
            stopped.countDown();
        }, "serve-shutdown"));
        stopped.await();
        return 0;
    }

    Running start() {
        ServerConfig config = config();
        Policy rules = policy == null ? Policy.none() : new Policy(PolicyConfig.load(policy));
        String baseName = name != null ? ModelNames.require(name, "--name")
                : ModelNames.isValid(model.getFileName().toString()) ? model.getFileName().toString() : "base";
        Map<String, List<Path>> members = new LinkedHashMap<>();
        ensembles.forEach((ensemble, dirs) -> members.put(ensemble, java.util.Arrays.stream(dirs.split(","))
                .map(String::strip).filter(d -> !d.isEmpty()).map(Path::of).toList()));
        members.forEach((ensemble, dirs) -> {
            if (dirs.size() < 2) {
                throw new IllegalArgumentException("--ensemble " + ensemble + ": give two or more classifier directories, "
                        + "comma-separated (one is an --adapter)");
            }
        });
        LoadedModels loaded = LoadedModels.load(model, baseName, adapters, members, new ClassifierCheckpoints(), maxBatch, maxLength);
        try {
            SupportServer server = new SupportServer(config, loaded.models(), rules, AccessLog.to(System.out),
                    new ConcurrencyLimit(generationSlots, generationQueue)).start();
            System.err.printf("supportlm serve: listening on http://%s:%d (models: %s; API keys: %s)%n", host, server.port(),
                    String.join(", ", loaded.models().names()), config.apiKeys().isEmpty() ? "off" : config.apiKeys().size());
            return new Running(server, loaded);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    ServerConfig config() {
        if (timeoutMs < 1 || maxWaitMs < 0 || graceMs < 0) {
            throw new IllegalArgumentException("--timeout-ms must be positive, --max-wait-ms and --shutdown-grace-ms not negative");
        }
        return new ServerConfig(host, port, maxBodyBytes, 20_000, 64, maxBatch, Duration.ofMillis(maxWaitMs), queue,
                Duration.ofMillis(timeoutMs), Duration.ofMillis(graceMs), apiKeys(), corsOrigins);
    }

    Set<String> apiKeys() {
        Set<String> keys = new LinkedHashSet<>();
        if (apiKeyFile != null) {
            try {
                List<String> lines = Files.readAllLines(apiKeyFile, StandardCharsets.UTF_8);
                for (String line : lines) {
                    String k = line.strip();
                    if (!k.isEmpty() && !k.startsWith("#")) {
                        keys.add(k);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(apiKeyFile + ": cannot read API keys: " + e.getMessage(), e);
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(apiKeyFile + ": no API keys in the file (one per line)");
            }
        }
        String fromEnv = env.get(KEYS_ENV);
        if (fromEnv != null) {
            for (String k : fromEnv.split(",")) {
                if (!k.isBlank()) {
                    keys.add(k.strip());
                }
            }
        }
        return keys;
    }
}
