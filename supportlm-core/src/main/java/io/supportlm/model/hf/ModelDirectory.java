package io.supportlm.model.hf;

import io.supportlm.io.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Hugging Face model directory (a snapshot as downloaded from the Hub): locates its files and
 * opens them, with errors that say which file is missing.
 *
 * <pre>
 * config.json                    required
 * generation_config.json         optional (else generation settings come from config.json)
 * tokenizer.json                 for the tokenizer
 * tokenizer_config.json          special tokens, chat template
 * chat_template.jinja            chat template of newer exports (preferred over tokenizer_config's)
 * model.safetensors | model.safetensors.index.json + shards
 * </pre>
 */
public final class ModelDirectory {
    public static final String CONFIG = "config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE = "chat_template.jinja";

    private final Path dir;

    private ModelDirectory(Path dir) {
        this.dir = dir;
    }

    /** A model directory; it must exist and hold {@code config.json}. */
    public static ModelDirectory of(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a model directory (does not exist or is not a directory)");
        }
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            throw new IllegalArgumentException(dir + ": not a Hugging Face model directory: no " + CONFIG);
        }
        return new ModelDirectory(dir);
    }

    public Path dir() {
        return dir;
    }

    private Optional<Path> optional(String name) {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    private Path required(String name, String purpose) {
        return optional(name).orElseThrow(() -> new IllegalArgumentException(dir + ": no " + name + " (needed for " + purpose + ")"));
    }

    public Path configFile() {
        return dir.resolve(CONFIG);
    }

    public ConfigJson config() {
        return ConfigJson.load(configFile());
    }

    public Optional<Path> generationConfigFile() {
        return optional(GENERATION_CONFIG);
    }

    /** {@code generation_config.json}, or the ids of {@code config.json} with transformers' defaults. */
    public GenerationConfig generationConfig() {
        return generationConfigFile().map(GenerationConfig::load).orElseGet(() -> GenerationConfig.from(config()));
    }

    public Path tokenizerFile() {
        return required(TOKENIZER, "the tokenizer; only fast tokenizers (tokenizer.json) are supported");
    }

    public Optional<Path> tokenizerConfigFile() {
        return optional(TOKENIZER_CONFIG);
    }

    public HfTokenizer tokenizer() {
        return HfTokenizer.load(tokenizerFile(), tokenizerConfigFile().orElse(null), configFile());
    }

    /** True when the directory has a chat template (an instruct/chat model). */
    public boolean hasChatTemplate() {
        return optional(CHAT_TEMPLATE).isPresent()
                || tokenizerConfigFile().map(p -> JsonFiles.readObject(p).hasNonNull("chat_template")).orElse(false);
    }

    /**
     * The chat template: {@code chat_template.jinja} when present (transformers prefers it), else
     * {@code tokenizer_config.json}'s; special tokens come from {@code tokenizer_config.json}.
     */
    public ChatTemplate chatTemplate() {
        Optional<Path> jinja = optional(CHAT_TEMPLATE);
        Optional<Path> tokenizerConfig = tokenizerConfigFile();
        if (jinja.isPresent()) {
            String source;
            try {
                source = Files.readString(jinja.get());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + jinja.get() + ": " + e.getMessage(), e);
            }
            var tokens = tokenizerConfig.map(p -> ChatTemplate.specialTokensMap(JsonFiles.readObject(p), p.toString()))
                    .orElse(java.util.Map.of());
            return ChatTemplate.of(source, tokens);
        }
        return ChatTemplate.fromTokenizerConfig(required(TOKENIZER_CONFIG, "the chat template"));
    }

    /** True when the directory has safetensors weights (single or sharded). */
    public boolean hasWeights() {
        return optional(Checkpoint.INDEX_FILE).isPresent() || optional(Checkpoint.SINGLE_FILE).isPresent();
    }

    /** Opens the weights (memory-mapped; close the checkpoint to unmap). */
    public Checkpoint weights() {
        if (!hasWeights()) {
            throw new IllegalArgumentException(dir + ": no weights: neither " + Checkpoint.SINGLE_FILE + " nor "
                    + Checkpoint.INDEX_FILE + (optional("pytorch_model.bin").isPresent()
                            ? " (pytorch_model.bin is not read: convert it to safetensors)" : ""));
        }
        return Checkpoint.open(dir);
    }

    @Override
    public String toString() {
        return "ModelDirectory[" + dir + "]";
    }
}
