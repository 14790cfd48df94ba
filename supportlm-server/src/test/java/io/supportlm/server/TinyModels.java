package io.supportlm.server;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.Parameter;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.bert.BertWeights;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.server.classify.ClassificationBackend;
import io.supportlm.server.classify.EncoderClassifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Real tiny models for server tests: a random BERT (MiniLM's vocabulary, hidden 16, 2 layers)
 * whose weights are shared by two adapters, each a LoRA over its own backbone instance plus random
 * heads for two tasks, and the real all-MiniLM-L6-v2 tokenizer from LangChain4j's jar.
 */
final class TinyModels {
    static final BertConfig CONFIG = new BertConfig(30522, 16, 2, 4, 32, 128, 2, 1e-12f, BertConfig.Activation.GELU, 0f, 0);
    static final List<ClassificationTask> TASKS = List.of(
            new ClassificationTask("queue", List.of("billing", "technical", "account", "other"), 1f, null),
            new ClassificationTask("priority", List.of("low", "high"), 1f, null));
    static final String BASE = "tiny-bert";

    private static HfTokenizer tokenizer;
    private static BertWeights weights;

    private TinyModels() {}

    static synchronized HfTokenizer tokenizer() {
        if (tokenizer == null) {
            try {
                Path dir = Files.createTempDirectory("supportlm-server-tokenizer");
                try (InputStream in = TinyModels.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
                    if (in == null) {
                        throw new IllegalStateException("the langchain4j MiniLM jar must be on the test classpath");
                    }
                    Files.copy(in, dir.resolve("tokenizer.json"));
                }
                Files.writeString(dir.resolve("tokenizer_config.json"), """
                        {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "do_lower_case": true}
                        """);
                tokenizer = HfTokenizer.load(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizer;
    }

    /** The base weights, built once and shared by every adapter (as in serving). */
    static synchronized BertWeights baseWeights() {
        if (weights == null) {
            weights = BertWeights.load(BertInit.random(CONFIG, 42), CONFIG);
        }
        return weights;
    }

    /** A classifier: its own encoder over the shared weights, a LoRA with non-zero B, random heads. */
    static MultiTaskClassifier classifier(long seed) {
        BertEncoder encoder = new BertEncoder(CONFIG, baseWeights());
        LoraAdapter lora = LoraAdapter.attach(encoder, new LoraConfig(2, 4f, 0f, List.of("query", "value"), false, false), seed);
        Random rng = new Random(seed);
        for (Parameter p : lora.parameters()) {
            for (int i = 0; i < p.values().length; i++) {
                p.values()[i] = (rng.nextFloat() * 2 - 1) * 0.5f;
            }
        }
        return new MultiTaskClassifier(encoder, Pooling.Mode.MEAN, 0f, TASKS, new Random(seed + 1));
    }

    static ClassificationBackend backend(long seed) {
        return new EncoderClassifier(classifier(seed), tokenizer(), 16, 64);
    }

    /** The base (no heads) and two classifying adapters, "support-v1" and "support-v2". */
    static ServedModels models() {
        return models(backend(1), backend(2));
    }

    static ServedModels models(ClassificationBackend v1, ClassificationBackend v2) {
        return new ServedModels(List.of(
                ServedModel.base(BASE, null, null),
                ServedModel.adapter("support-v1", BASE, v1, null),
                ServedModel.adapter("support-v2", BASE, v2, null)));
    }
}
