package io.supportlm.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.classify.ClassifierCheckpoint;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.io.Checkpoint;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.bert.BertModels;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.server.AccessLog;
import io.supportlm.server.ClassifierCheckpoints;
import io.supportlm.server.LoadedModels;
import io.supportlm.server.ServerConfig;
import io.supportlm.server.SupportServer;
import io.supportlm.server.policy.Policy;
import io.supportlm.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serving benchmark, run tiny (about a second per scenario): it measures real servers and its peer computes what we compute. */
class ServeBenchmarkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static ServeBenchmark.Options tiny(List<Integer> streams) {
        // texts truncated to 16 tokens: the first forwards of a fresh JVM run in the interpreter
        return new ServeBenchmark.Options(4, Duration.ofMillis(800), Duration.ofMillis(300), 100_000, 8, Duration.ofMillis(2), 16, 1,
                streams, 6);
    }

    private static JsonNode post(int port, String path, Map<String, Object> body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    @Test
    void onnxRuntimePeerAnswersWhatOurServerAnswers() throws Exception {
        ServeBenchmark.ClassificationSetup setup = RealMiniLm.setup();
        ServeBenchmark bench = new ServeBenchmark(tiny(List.of(1)), new PrintStream(new ByteArrayOutputStream()));
        List<String> texts = ServeBenchmark.tickets(6, 11);
        try (LoadedModels models = LoadedModels.load(setup.encoderDir(), "base", Map.of("bench", setup.adapterDir()),
                new ClassifierCheckpoints(), 8, 16);
             HfTokenizer tokenizer = HfTokenizer.load(setup.encoderDir());
             Checkpoint weights = Checkpoint.open(setup.encoderDir())) {
            MultiTaskClassifier classifier = ClassifierCheckpoint.load(setup.adapterDir(),
                    BertModels.load(ModelDirectory.of(setup.encoderDir()), weights)).classifier();
            SupportServer server = new SupportServer(ServerConfig.defaults(), models.models(), Policy.none(), AccessLog.off()).start();
            try (ClassifierPeer peer = bench.onnxRuntimePeer(setup, tokenizer, classifier.heads().getFirst(), Pooling.Mode.MEAN)) {
                assertTrue(peer.description().startsWith("ONNX Runtime 1."), peer.description());
                for (String text : texts) {
                    JsonNode ours = post(server.port(), "/v1/classify", Map.of("model", "bench", "text", text)).path("results").path("queue");
                    JsonNode theirs = post(peer.port(), "/classify", Map.of("text", text));
                    assertEquals(ours.path("label").asText(), theirs.path("label").asText(), text);
                    assertEquals(ours.path("confidence").asDouble(), theirs.path("confidence").asDouble(), 1e-4, text);
                }
            } finally {
                server.stop();
            }
        }
    }

    @Test
    void thePeerLibraryResolvedAtRunTimeIsTheVersionTestedHere() {
        String version = ServeBenchmark.ONNX_RUNTIME.substring(ServeBenchmark.ONNX_RUNTIME.lastIndexOf(':') + 1);
        assertEquals("onnxruntime-" + version + ".jar", RealMiniLm.setup().onnxRuntimeJar().getFileName().toString());
    }

    @Test
    void tinyClassificationRunMeasuresBothServers() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ServeBenchmark bench = new ServeBenchmark(tiny(List.of(1)), new PrintStream(printed, true, StandardCharsets.UTF_8));
        ServeBenchmark.ClassificationResult r = bench.classification(RealMiniLm.setup(), ServeBenchmark.tickets(40, 3));
        String report = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, r.ours().errors(), report);
        assertEquals(0, r.peer().errors(), report);
        assertTrue(r.ours().requests() > 0 && r.peer().requests() > 0, report);
        assertEquals(r.ours().requests(), r.batches().texts(), "every measured request was one text in one forward");
        assertTrue(r.batches().forwards() > 0 && r.batches().forwards() <= r.batches().texts(), report);
        assertTrue(r.batches().mean() <= 8, "batches never exceed --max-batch: " + r.batches());
        assertTrue(r.ours().latencyMs(0.5) <= r.ours().latencyMs(0.99), report);
        assertTrue(report.contains("supportlm / ONNX Runtime:") && report.contains("batch sizes over"), report);
    }

    @Test
    void tinyGenerationRunCountsStreamedTokens() throws Exception {
        ObjectNode shape = DecoderInit.tinyConfigJson(DecoderConfig.Family.LLAMA);
        shape.put("vocab_size", 300).put("max_position_embeddings", 256);
        Path decoder = RandomDecoder.write(shape, DType.BF16, 1, dir.resolve("decoder"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ServeBenchmark bench = new ServeBenchmark(tiny(List.of(1, 3)), new PrintStream(printed, true, StandardCharsets.UTF_8));
        List<ServeBenchmark.GenerationResult> results = bench.generation(decoder, "tiny llama", List.of("Where is my parcel?", "Refund"));
        String report = printed.toString(StandardCharsets.UTF_8);
        assertEquals(List.of(1, 3), results.stream().map(ServeBenchmark.GenerationResult::streams).toList());
        for (ServeBenchmark.GenerationResult g : results) {
            LoadResult load = g.load();
            assertEquals(0, load.errors(), report);
            assertTrue(load.requests() > 0 && load.units() > 0, report);
            assertTrue(load.units() <= 6 * load.requests(), "at most max_tokens per request: " + report);
            assertTrue(load.firstUnitLatencies().length > 0, report);
        }
        assertTrue(report.contains("tokens/s per stream"), report);
    }
}
