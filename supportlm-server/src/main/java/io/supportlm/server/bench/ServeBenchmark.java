package io.supportlm.server.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.data.SupportRecord;
import io.supportlm.kernels.Pooling;
import io.supportlm.data.synth.SynthConfig;
import io.supportlm.data.synth.SyntheticTickets;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.server.AccessLog;
import io.supportlm.server.ClassifierCheckpoints;
import io.supportlm.server.ConcurrencyLimit;
import io.supportlm.server.LoadedModels;
import io.supportlm.server.ServerConfig;
import io.supportlm.server.SupportServer;
import io.supportlm.server.policy.Policy;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The serving benchmark ({@code supportlm bench serve}): real servers on free loopback ports,
 * driven by the same closed-loop {@link LoadGenerator} over HTTP.
 * <ul>
 *   <li>Classification: our server (micro-batching, the whole request path: API-key check, strict
 *       JSON, policy, access-log entry, metrics) over an encoder and a classifier adapter,
 *       then {@link ClassifierPeer ONNX Runtime} serving the same ONNX file with the same
 *       tokenizer, pooling and head, on the same texts.</li>
 *   <li>Generation: {@code /v1/chat/completions} streaming with 1, 8, … concurrent streams on a
 *       decoder, completion tokens per second from the usage chunks.</li>
 * </ul>
 * Each measurement follows a warm-up with the same load (the JIT compiles the hot paths first).
 */
public final class ServeBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ADAPTER = "bench";
    /** The peer's library, resolved from Maven at run time; the same version the server module compiles and tests against. */
    public static final String ONNX_RUNTIME = "com.microsoft.onnxruntime:onnxruntime:1.23.2";

    /**
     * @param clients concurrent classification clients
     * @param duration time per measured scenario (requests started before it ends may finish)
     * @param warmup load before each measured classification scenario and before the first generation one
     * @param maxRequests a cap on requests per scenario, whatever the time
     * @param maxBatch, maxWait the micro-batcher's settings
     * @param maxLength tokens per classified text (both servers truncate alike)
     * @param peerThreads ONNX Runtime's intra-op threads (0: its default)
     * @param streams the concurrent generation streams of each generation scenario
     * @param maxTokens completion tokens per generation request
     */
    public record Options(int clients, Duration duration, Duration warmup, long maxRequests, int maxBatch, Duration maxWait,
                          int maxLength, int peerThreads, List<Integer> streams, int maxTokens) {
        public Options {
            if (clients < 1 || maxRequests < 1 || maxBatch < 1 || maxLength < 2 || peerThreads < 0 || maxTokens < 1) {
                throw new IllegalArgumentException("benchmark options: clients, max requests, max batch and max tokens must be ≥ 1, "
                        + "max length ≥ 2, peer threads ≥ 0");
            }
            if (duration.isNegative() || duration.isZero() || warmup.isNegative() || maxWait.isNegative()) {
                throw new IllegalArgumentException("benchmark options: the duration must be positive, warm-up and max wait not negative");
            }
            streams = List.copyOf(streams);
            if (streams.stream().anyMatch(s -> s < 1)) {
                throw new IllegalArgumentException("benchmark options: stream counts must be ≥ 1, got " + streams);
            }
        }
    }

    /** The classification scenario's inputs: an encoder directory, a classifier adapter over it, the encoder's ONNX file, ONNX Runtime's jar. */
    public record ClassificationSetup(Path encoderDir, Path adapterDir, Path onnxFile, Path onnxRuntimeJar) {}

    /** Batch sizes the micro-batcher ran during the measurement: forwards, texts, and forwards per size bucket (≤ 1, ≤ 2, ≤ 4, …). */
    public record Batches(long forwards, long texts, Map<Integer, Long> forwardsUpTo) {
        public double mean() {
            return forwards == 0 ? Double.NaN : (double) texts / forwards;
        }
    }

    public record ClassificationResult(LoadResult ours, Batches batches, LoadResult peer, String peerDescription, double meanTokens) {}

    public record GenerationResult(int streams, LoadResult load) {}

    private final Options options;
    private final PrintStream out;

    public ServeBenchmark(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Synthetic support tickets (subject and body), the texts both classification servers get. */
    public static List<String> tickets(int count, long seed) {
        return new SyntheticTickets(SynthConfig.defaults(count, seed)).generate().stream().map(SupportRecord::mainText).toList();
    }

    // ------------------------------------------------------------------------------------ classification

    public ClassificationResult classification(ClassificationSetup setup, List<String> texts) throws Exception {
        AtomicReference<MultiTaskClassifier> loadedClassifier = new AtomicReference<>();
        ClassifierCheckpoints checkpoints = new ClassifierCheckpoints();
        double meanTokens;
        LoadResult ours;
        Batches batches;
        MultiTaskClassifier classifier;
        try (LoadedModels models = LoadedModels.load(setup.encoderDir(), "base", Map.of(ADAPTER, setup.adapterDir()),
                (dir, backbone) -> {
                    loadedClassifier.set(checkpoints.load(dir, backbone));
                    return loadedClassifier.get();
                }, options.maxBatch(), options.maxLength());
             HfTokenizer tokenizer = HfTokenizer.load(setup.encoderDir())) {
            classifier = loadedClassifier.get();
            meanTokens = texts.stream().mapToInt(t -> tokenizer.encode(t, true, options.maxLength()).length()).average().orElse(0);
            out.printf("Classification: %s + adapter (tasks %s), %d texts of %.1f tokens on average (max %d), %d clients, %.1f s per server after %.1f s of warm-up%n",
                    setup.encoderDir().getFileName(), classifier.tasks().stream().map(t -> t.name() + " " + t.numLabels()).toList(),
                    texts.size(), meanTokens, options.maxLength(), options.clients(), seconds(options.duration()), seconds(options.warmup()));
            ServerConfig config = ServerConfig.defaults().withBatching(options.maxBatch(), options.maxWait(), Math.max(256, 4 * options.clients()));
            SupportServer server = new SupportServer(config, models.models(), Policy.none(), AccessLog.off()).start();
            try {
                List<byte[]> bodies = new ArrayList<>();
                for (String t : texts) {
                    bodies.add(JSON.writeValueAsBytes(Map.of("model", ADAPTER, "text", t)));
                }
                URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/classify");
                try (HttpClient client = BenchRequests.client()) {
                    warmUp("supportlm", BenchRequests.post(client, uri, bodies), options.clients());
                    DistributionSummary summary = server.registry().get("supportlm.classify.batch.size").tag("model", ADAPTER).summary();
                    HistogramSnapshot before = summary.takeSnapshot();
                    ours = load(BenchRequests.post(client, uri, bodies), options.clients(), options.duration());
                    batches = batches(before, summary.takeSnapshot());
                }
            } finally {
                server.stop();
            }
        }
        MultiTaskClassifier.Head head = classifier.heads().getFirst();
        LoadResult peer;
        String description;
        try (HfTokenizer tokenizer = HfTokenizer.load(setup.encoderDir());
             ClassifierPeer onnx = onnxRuntimePeer(setup, tokenizer, head, classifier.pooling());
             HttpClient client = BenchRequests.client()) {
            description = onnx.description();
            List<byte[]> bodies = new ArrayList<>();
            for (String t : texts) {
                bodies.add(JSON.writeValueAsBytes(Map.of("text", t)));
            }
            URI uri = URI.create("http://127.0.0.1:" + onnx.port() + "/classify");
            warmUp("ONNX Runtime", BenchRequests.post(client, uri, bodies), options.clients());
            peer = load(BenchRequests.post(client, uri, bodies), options.clients(), options.duration());
        }
        ClassificationResult r = new ClassificationResult(ours, batches, peer, description, meanTokens);
        print(r);
        return r;
    }

    /** The ONNX Runtime peer with the adapter's first head, through {@link PeerClassLoader} (ONNX Runtime is not on the application's class path). */
    ClassifierPeer onnxRuntimePeer(ClassificationSetup setup, HfTokenizer tokenizer, MultiTaskClassifier.Head head, Pooling.Mode mode)
            throws Exception {
        String pooling = switch (mode) {
            case MEAN -> "mean";
            case CLS -> "cls";
            default -> throw new IllegalArgumentException("the ONNX Runtime peer pools by mean or cls; this adapter pools by " + mode);
        };
        String peerClass = "io.supportlm.server.bench.onnx.OnnxRuntimePeer";
        PeerClassLoader loader = new PeerClassLoader(setup.onnxRuntimeJar(), List.of("ai.onnxruntime", "io.supportlm.server.bench.onnx"),
                ServeBenchmark.class.getClassLoader());
        ClassifierPeer peer = (ClassifierPeer) Class.forName(peerClass, true, loader)
                .getConstructor(Path.class, HfTokenizer.class, float[].class, float[].class, List.class, String.class, int.class, int.class)
                .newInstance(setup.onnxFile(), tokenizer, head.weight(), head.bias(), head.task().labels(), pooling, options.maxLength(),
                        options.peerThreads());
        return new ClassifierPeer() { // closing the peer also releases its class loader's jar
            @Override
            public int port() {
                return peer.port();
            }

            @Override
            public String description() {
                return peer.description();
            }

            @Override
            public void close() {
                try {
                    peer.close();
                } finally {
                    try {
                        loader.close();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException("closing the ONNX Runtime class loader: " + e.getMessage(), e);
                    }
                }
            }
        };
    }

    private LoadResult load(LoadGenerator.Request request, int clients, Duration duration) {
        return LoadGenerator.run(clients, duration, options.maxRequests(), request);
    }

    /** Load that only warms the JIT up; says how long it took, since the first requests of a fresh JVM are slow. */
    private void warmUp(String what, LoadGenerator.Request request, int clients) {
        if (options.warmup().isZero()) {
            return;
        }
        LoadResult r = load(request, clients, options.warmup());
        out.printf("  warm-up of %s: %d requests in %.1f s%n", what, r.requests(), r.seconds());
    }

    static Batches batches(HistogramSnapshot before, HistogramSnapshot after) {
        Map<Integer, Long> upTo = new LinkedHashMap<>();
        CountAtBucket[] b0 = before.histogramCounts(), b1 = after.histogramCounts();
        for (int i = 0; i < b1.length; i++) {
            // cumulative counts per bucket: forwards with a batch size ≤ the bucket's bound
            upTo.put((int) b1[i].bucket(), Math.round(b1[i].count() - (i < b0.length ? b0[i].count() : 0)));
        }
        return new Batches(after.count() - before.count(), Math.round(after.total() - before.total()), upTo);
    }

    private void print(ClassificationResult r) {
        out.printf("%-58s %9s %7s %9s %9s %9s %11s%n", "server", "requests", "errors", "req/s", "p50 ms", "p99 ms", "mean batch");
        row("supportlm /v1/classify (micro-batch " + options.maxBatch() + ", wait " + options.maxWait().toMillis() + " ms)",
                r.ours(), String.format("%.2f", r.batches().mean()));
        row(r.peerDescription(), r.peer(), "1");
        out.printf("supportlm / ONNX Runtime: %.2f× the requests/s, %.2f× the p50 latency, %.2f× the p99 latency%n",
                r.ours().requestsPerSecond() / r.peer().requestsPerSecond(), r.ours().latencyMs(0.5) / r.peer().latencyMs(0.5),
                r.ours().latencyMs(0.99) / r.peer().latencyMs(0.99));
        StringBuilder hist = new StringBuilder();
        long previous = 0;
        int lower = 1;
        for (Map.Entry<Integer, Long> e : r.batches().forwardsUpTo().entrySet()) {
            long inBucket = e.getValue() - previous;
            previous = e.getValue();
            if (inBucket > 0) {
                String range = lower == e.getKey() ? Integer.toString(lower) : lower + "-" + e.getKey();
                hist.append(String.format("%s: %.0f%%  ", range, 100.0 * inBucket / Math.max(1, r.batches().forwards())));
            }
            lower = e.getKey() + 1;
        }
        out.printf("supportlm batch sizes over %d forwards: %s%n", r.batches().forwards(), hist.toString().strip());
        failures("supportlm", r.ours());
        failures("ONNX Runtime", r.peer());
    }

    private void row(String name, LoadResult r, String batch) {
        out.printf("%-58s %9d %7d %9.1f %9.2f %9.2f %11s%n", name, r.requests(), r.errors(), r.requestsPerSecond(), r.latencyMs(0.5),
                r.latencyMs(0.99), batch);
    }

    private void failures(String who, LoadResult r) {
        if (r.errors() > 0) {
            out.printf("  %s failures (first %d): %s%n", who, r.failures().size(), r.failures());
        }
    }

    // ------------------------------------------------------------------------------------ generation

    /** Streams chat completions from the decoder in {@code decoderDir}, for each stream count of the options. */
    public List<GenerationResult> generation(Path decoderDir, String description, List<String> userMessages) throws Exception {
        int maxStreams = options.streams().stream().mapToInt(Integer::intValue).max().orElse(1);
        List<GenerationResult> results = new ArrayList<>();
        try (LoadedModels models = LoadedModels.load(decoderDir, "decoder", Map.of(), (d, b) -> {
            throw new IllegalStateException("no adapters in the generation benchmark");
        }, 1, 2)) {
            SupportServer server = new SupportServer(ServerConfig.defaults().withTimeouts(Duration.ofMinutes(30), Duration.ofSeconds(5)),
                    models.models(), Policy.none(), AccessLog.off(), new ConcurrencyLimit(maxStreams, maxStreams)).start();
            try {
                List<byte[]> bodies = new ArrayList<>();
                for (String m : userMessages) {
                    ObjectNode body = JSON.createObjectNode().put("model", "decoder").put("stream", true).put("temperature", 0)
                            .put("max_tokens", options.maxTokens());
                    body.putArray("messages").addObject().put("role", "user").put("content", m);
                    body.putObject("stream_options").put("include_usage", true);
                    bodies.add(JSON.writeValueAsBytes(body));
                }
                URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
                out.printf("Generation: %s, greedy, prompts of %.0f tokens on average (chat template included), %d completion tokens "
                        + "at most per request, /v1/chat/completions streaming, %.1f s per scenario after %.1f s of warm-up%n", description,
                        meanPromptTokens(decoderDir, userMessages), options.maxTokens(), seconds(options.duration()), seconds(options.warmup()));
                try (HttpClient client = BenchRequests.client()) {
                    warmUp("generation", BenchRequests.chatStream(client, uri, bodies), 1);
                    out.printf("%-8s %9s %7s %12s %10s %20s %12s %12s%n", "streams", "requests", "errors", "completion", "tokens/s",
                            "tokens/s per stream", "TTFT p50 ms", "TTFT p99 ms");
                    for (int streams : options.streams()) {
                        LoadResult r = load(BenchRequests.chatStream(client, uri, bodies), streams, options.duration());
                        results.add(new GenerationResult(streams, r));
                        out.printf("%-8d %9d %7d %12d %10.1f %20.1f %12.1f %12.1f%n", streams, r.requests(), r.errors(), r.units(),
                                r.unitsPerSecond(), r.unitsPerSecond() / streams, r.firstUnitMs(0.5), r.firstUnitMs(0.99));
                        failures("generation", r);
                    }
                }
            } finally {
                server.stop();
            }
        }
        return results;
    }

    /** The prompt length each message makes once rendered by the model's chat template, on average. */
    static double meanPromptTokens(Path decoderDir, List<String> userMessages) {
        ModelDirectory dir = ModelDirectory.of(decoderDir);
        ChatTemplate template = dir.chatTemplate();
        try (HfTokenizer tokenizer = dir.tokenizer()) {
            return userMessages.stream().mapToInt(m -> tokenizer.encode(template.render(List.of(ChatTemplate.Message.user(m)), true), false)
                    .length()).average().orElse(0);
        }
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
