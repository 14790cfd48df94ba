package io.supportlm.eval.reply;

import io.supportlm.generate.GenerationConfig;
import io.supportlm.hub.HubClient;
import io.supportlm.io.Checkpoint;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.sft.CausalLmAdapter;
import io.supportlm.sft.data.ChatFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A decoder opened for answering: memory-mapped weights, tokenizer, the chat format training
 * renders with ({@link ChatFormat#forModel}: its chat template, or the plain format) and the
 * end-of-sequence ids from config.json, generation_config.json and the tokenizer (the same union
 * the server stops at). Optionally with a PEFT causal-LM adapter applied ({@link CausalLmAdapter}:
 * LoRA or QLoRA in the layers, or prompt tuning's virtual tokens before every prompt); then the
 * stop ids and the system prompt recorded with the adapter apply too, so prompts are rendered and
 * answers end exactly as in training. Close it when done (it unmaps the weights).
 */
public final class ReplyModel implements AutoCloseable {
    private final Path directory;
    private final Path adapter;
    private final Checkpoint checkpoint;
    private final HfTokenizer tokenizer;
    private final DecoderModel model;
    private final CausalLmAdapter adapted;
    private final ChatFormat format;
    private final List<Integer> eosIds;

    private ReplyModel(Path directory, Path adapter, Checkpoint checkpoint, HfTokenizer tokenizer, DecoderModel model,
                       CausalLmAdapter adapted, ChatFormat format, List<Integer> eosIds) {
        this.directory = directory;
        this.adapter = adapter;
        this.adapted = adapted;
        this.checkpoint = checkpoint;
        this.tokenizer = tokenizer;
        this.model = model;
        this.format = format;
        this.eosIds = eosIds;
    }

    /**
     * Opens a decoder from a directory or {@code org/name[@revision]} (through the Hugging Face cache).
     *
     * @param adapter a PEFT causal-LM adapter directory to apply, or null for the plain model
     */
    public static ReplyModel open(String model, Path adapter) throws IOException {
        Path dir = Files.isDirectory(Path.of(model)) ? Path.of(model) : HubClient.fromEnvironment().modelDirectory(model);
        ModelDirectory md = ModelDirectory.of(dir);
        Checkpoint weights = md.weights();
        HfTokenizer tokenizer = null;
        try {
            DecoderModel decoder = DecoderModels.load(md, weights);
            tokenizer = md.tokenizer();
            Set<Integer> eos = new LinkedHashSet<>(decoder.config().eosTokenIds());
            eos.addAll(md.generationConfig().eosTokenIds());
            tokenizer.eosId().ifPresent(eos::add);
            if (eos.isEmpty()) {
                throw new IllegalArgumentException(dir + ": no end-of-sequence token id in config.json, generation_config.json "
                        + "or the tokenizer; answers could not end before the token limit");
            }
            CausalLmAdapter adapted = null;
            if (adapter != null) {
                if (!Files.isDirectory(adapter)) {
                    throw new IllegalArgumentException("--adapter: not a directory: " + adapter);
                }
                adapted = CausalLmAdapter.load(adapter, decoder); // LoRA wraps the layers in place; prompt tuning is a prefix
                boolean recorded = Files.isRegularFile(adapter.resolve(CausalLmAdapter.SUPPORTLM_JSON));
                if (recorded && adapted.meta().chatTemplate() != md.hasChatTemplate()) {
                    throw new IllegalArgumentException(adapter + ": trained with " + (adapted.meta().chatTemplate()
                            ? "the model's chat template, but " + dir + " has none" : "the plain format (no chat template), but "
                            + dir + " has a chat template") + "; use the base model it was trained on");
                }
                eos.addAll(adapted.meta().stopIds());
            }
            return new ReplyModel(dir, adapter, weights, tokenizer, decoder, adapted, ChatFormat.forModel(md, tokenizer),
                    List.copyOf(eos));
        } catch (IOException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            weights.close();
            throw e;
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens}, stopping at the model's EOS ids. */
    public GenerationConfig greedy(int maxNewTokens) {
        return GenerationConfig.greedy(maxNewTokens).withStopTokens(eosIds);
    }

    /** A responder with greedy decoding. */
    public DecoderResponder responder(String name, int maxNewTokens, String systemPrompt) {
        return responder(name, greedy(maxNewTokens), systemPrompt);
    }

    /** @param systemPrompt put first in every conversation; null: the one the adapter was trained with, if any */
    public DecoderResponder responder(String name, GenerationConfig config, String systemPrompt) {
        return new DecoderResponder(name, model, adapted, tokenizer, format, config.withStopTokens(eosIds),
                systemPrompt != null ? systemPrompt : trainedSystemPrompt());
    }

    /** The system prompt the adapter was trained with (supportlm.json), or null. */
    public String trainedSystemPrompt() {
        return adapted == null ? null : adapted.meta().systemPrompt();
    }

    /** How prompts are rendered: the chat template, or the plain format. */
    public ChatFormat format() {
        return format;
    }

    public Path directory() {
        return directory;
    }

    /** The adapter directory, or null. */
    public Path adapter() {
        return adapter;
    }

    public DecoderModel model() {
        return model;
    }

    public List<Integer> eosIds() {
        return eosIds;
    }

    public boolean hasChatTemplate() {
        return format instanceof ChatFormat.Template;
    }

    @Override
    public void close() {
        tokenizer.close();
        checkpoint.close();
    }

    /** Bytes of the regular files under {@code dir} (links followed to their files, as a copy would take). */
    public static long sizeOnDisk(Path dir) {
        if (dir == null) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the size of " + p, e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }
}
