package io.supportlm.model;

import io.supportlm.hub.HubClient;
import io.supportlm.io.Checkpoint;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.bert.BertModels;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A base model opened for fine-tuning or serving: its directory, memory-mapped weights, backbone
 * and tokenizer. Close it when done (it unmaps the weights).
 */
public record LoadedModel(String name, ModelDirectory directory, Checkpoint weights, Backbone backbone,
                          HfTokenizer tokenizer, Pooling.Mode defaultPooling) implements AutoCloseable {

    /**
     * Opens a model from a directory, or from {@code org/name[@revision]} through the Hugging Face
     * cache (downloading it when online): BERT encoders and the decoder families.
     */
    public static LoadedModel open(String model) throws java.io.IOException {
        Path dir = Files.isDirectory(Path.of(model)) ? Path.of(model) : HubClient.fromEnvironment().modelDirectory(model);
        ModelDirectory md = ModelDirectory.of(dir);
        String type = md.config().modelType();
        Checkpoint weights = md.weights();
        try {
            Backbone backbone = switch (type) {
                case "bert" -> BertModels.load(md, weights);
                case "llama", "mistral", "qwen2", "qwen3", "gemma3", "gemma3_text", "gpt_neox" ->
                        new DecoderBackbone(DecoderModels.load(md, weights));
                default -> throw new IllegalArgumentException(dir.resolve("config.json") + ": model_type '" + type
                        + "' is not supported (bert, llama, mistral, qwen2, qwen3, gemma3, gpt_neox)");
            };
            return new LoadedModel(model, md, weights, backbone, md.tokenizer(), poolingOf(dir, type));
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** Sentence-transformers' {@code 1_Pooling/config.json} when present; else CLS for encoders, last token for decoders. */
    static Pooling.Mode poolingOf(Path dir, String type) throws java.io.IOException {
        Path pooling = dir.resolve("1_Pooling/config.json");
        if (Files.isRegularFile(pooling)) {
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pooling.toFile());
            if (node.path("pooling_mode_mean_tokens").asBoolean(false)) {
                return Pooling.Mode.MEAN;
            }
            if (node.path("pooling_mode_cls_token").asBoolean(false)) {
                return Pooling.Mode.CLS;
            }
        }
        return type.equals("bert") ? Pooling.Mode.CLS : Pooling.Mode.LAST;
    }

    /** The padding token id, for batching. */
    public int padId() {
        return tokenizer.padId().orElse(0);
    }

    @Override
    public void close() {
        tokenizer.close();
        weights.close();
    }
}
