package io.supportlm.server;

import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.io.Checkpoint;
import io.supportlm.model.WeightSource;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertWeights;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.server.classify.EncoderClassifier;
import io.supportlm.server.generate.DecoderGenerator;
import io.supportlm.server.generate.PeftLora;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The models {@code serve} loads: one base from a Hugging Face directory, its weights memory-mapped
 * once, and any number of adapters over those same weights (shared memory, separate activations):
 * over an encoder, each adapter is a classifier on its own encoder instance; over a decoder, each
 * is a PEFT causal-LM LoRA served for generation beside the base. Close to unmap the weights.
 */
public final class LoadedModels implements AutoCloseable {
    private final Checkpoint checkpoint;
    private final HfTokenizer tokenizer;
    private final ServedModels models;

    private LoadedModels(Checkpoint checkpoint, HfTokenizer tokenizer, ServedModels models) {
        this.checkpoint = checkpoint;
        this.tokenizer = tokenizer;
        this.models = models;
    }

    /**
     * Loads the base at {@code baseDir} under {@code baseName} and each adapter by name.
     *
     * @param maxBatch texts per forward (the workspace is sized for it)
     * @param maxLength tokens per text; longer texts are truncated (capped by the model's positions)
     */
    public static LoadedModels load(Path baseDir, String baseName, Map<String, Path> adapters, AdapterLoader loader,
                                    int maxBatch, int maxLength) {
        return load(baseDir, baseName, adapters, Map.of(), loader, maxBatch, maxLength);
    }

    /**
     * As {@link #load(Path, String, Map, AdapterLoader, int, int)}, and each ensemble by name: over
     * an encoder, several classifiers over the same tasks served as one model (their probabilities
     * averaged), each on its own encoder instance over the shared weights.
     */
    public static LoadedModels load(Path baseDir, String baseName, Map<String, Path> adapters, Map<String, List<Path>> ensembles,
                                    AdapterLoader loader, int maxBatch, int maxLength) {
        ModelNames.require(baseName, "base model name");
        adapters.keySet().forEach(n -> ModelNames.require(n, "adapter name"));
        ensembles.keySet().forEach(n -> ModelNames.require(n, "ensemble name"));
        ModelDirectory dir = ModelDirectory.of(baseDir);
        if (isDecoder(dir)) {
            if (!ensembles.isEmpty()) {
                throw new IllegalArgumentException("ensembles " + ensembles.keySet() + " are for classifiers over an encoder; "
                        + baseDir + " is a decoder");
            }
            return loadDecoder(dir, baseName, adapters);
        }
        BertConfig config = BertConfig.fromJson(dir.config().raw());
        Checkpoint checkpoint = dir.weights();
        HfTokenizer tokenizer = null;
        try {
            BertWeights weights = BertWeights.load(WeightSource.of(checkpoint), config);
            tokenizer = dir.tokenizer();
            int length = Math.min(maxLength, config.maxPositions());
            List<ServedModel> served = new ArrayList<>();
            served.add(ServedModel.base(baseName, null, null));
            for (Map.Entry<String, Path> a : adapters.entrySet()) {
                MultiTaskClassifier classifier = loader.load(a.getValue(), new BertEncoder(config, weights));
                served.add(ServedModel.adapter(a.getKey(), baseName, new EncoderClassifier(classifier, tokenizer, maxBatch, length), null));
            }
            for (Map.Entry<String, List<Path>> e : ensembles.entrySet()) {
                List<MultiTaskClassifier> members = new ArrayList<>();
                for (Path member : e.getValue()) {
                    members.add(loader.load(member, new BertEncoder(config, weights)));
                }
                served.add(ServedModel.adapter(e.getKey(), baseName, new EncoderClassifier(members, tokenizer, maxBatch, length), null));
            }
            return new LoadedModels(checkpoint, tokenizer, new ServedModels(served));
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            checkpoint.close();
            throw e;
        }
    }

    /** True when config.json's {@code model_type} is a decoder family. */
    static boolean isDecoder(ModelDirectory dir) {
        String type = dir.config().getString("model_type", "");
        try {
            DecoderConfig.Family.of(type);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * A decoder served for generation under {@code baseName}, and each adapter (a PEFT causal-LM
     * LoRA directory) as a model of its own over the same memory-mapped weights: the adapter's
     * layers wrap the shared frozen ones, so an adapter costs its A and B matrices only.
     */
    private static LoadedModels loadDecoder(ModelDirectory dir, String baseName, Map<String, Path> adapters) {
        Checkpoint checkpoint = dir.weights();
        HfTokenizer tokenizer = null;
        try {
            tokenizer = dir.tokenizer();
            DecoderModel base = DecoderModels.load(dir, checkpoint);
            List<ServedModel> served = new ArrayList<>();
            served.add(ServedModel.base(baseName, null, DecoderGenerator.open(dir, base, tokenizer)));
            for (Map.Entry<String, Path> a : adapters.entrySet()) {
                if (!Files.isDirectory(a.getValue())) {
                    throw new IllegalArgumentException(a.getValue() + ": no such adapter directory (adapter '" + a.getKey() + "')");
                }
                DecoderModel adapted = PeftLora.read(a.getValue()).over(base);
                served.add(ServedModel.adapter(a.getKey(), baseName, null, DecoderGenerator.open(dir, adapted, tokenizer)));
            }
            return new LoadedModels(checkpoint, tokenizer, new ServedModels(served));
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            checkpoint.close();
            throw e;
        }
    }

    public ServedModels models() {
        return models;
    }

    @Override
    public void close() {
        tokenizer.close();
        checkpoint.close();
    }
}
