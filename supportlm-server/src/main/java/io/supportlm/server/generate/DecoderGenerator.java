package io.supportlm.server.generate;

import io.supportlm.generate.Generation;
import io.supportlm.generate.GenerationConfig;
import io.supportlm.generate.Generator;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.ChatTemplateException;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.server.ApiException;
import io.supportlm.server.TextGenerator;
import io.supportlm.io.Checkpoint;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.ModelDirectory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link TextGenerator} over a decoder: the prompt is tokenized, then {@link Generator} runs with
 * its own KV cache per request (the weights are shared and read-only, so requests run side by
 * side), streaming each final piece of text and stopping at EOS, a stop string, the token limit,
 * or when the caller cancels.
 */
public final class DecoderGenerator implements TextGenerator {
    private final Generator generator;
    private final HfTokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final List<Integer> stopTokenIds;
    private final int contextLength;

    /**
     * @param chatTemplate null when the model has none (chat requests are then refused with 400)
     * @param stopTokenIds the end-of-sequence ids (generation_config's and the tokenizer's EOS)
     */
    public DecoderGenerator(DecoderModel model, HfTokenizer tokenizer, ChatTemplate chatTemplate, List<Integer> stopTokenIds) {
        this.generator = new Generator(model);
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.stopTokenIds = List.copyOf(stopTokenIds);
        this.contextLength = model.config().maxPositions();
    }

    /**
     * A generator for the decoder in {@code dir}, its weights read from {@code checkpoint} (which
     * must stay open): EOS ids from config.json, generation_config.json and the tokenizer; the
     * chat template when the directory has one.
     */
    public static DecoderGenerator open(ModelDirectory dir, Checkpoint checkpoint, HfTokenizer tokenizer) {
        return open(dir, DecoderModels.load(dir, checkpoint), tokenizer);
    }

    /** A generator for {@code model} (the decoder in {@code dir}, or an adapter over its weights), with the directory's EOS ids and chat template. */
    public static DecoderGenerator open(ModelDirectory dir, DecoderModel model, HfTokenizer tokenizer) {
        Set<Integer> eos = new LinkedHashSet<>(model.config().eosTokenIds());
        eos.addAll(dir.generationConfig().eosTokenIds());
        tokenizer.eosId().ifPresent(eos::add);
        if (eos.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no end-of-sequence token id in config.json, generation_config.json "
                    + "or the tokenizer; generation could not stop before max_tokens");
        }
        return new DecoderGenerator(model, tokenizer, dir.hasChatTemplate() ? dir.chatTemplate() : null, List.copyOf(eos));
    }

    /** The sampler settings for a request, exactly as {@link #generate} uses them. */
    public GenerationConfig config(Request r) {
        long seed = r.seed() != null ? r.seed() : ThreadLocalRandom.current().nextLong();
        GenerationConfig c = r.temperature() == 0
                ? GenerationConfig.greedy(r.maxNewTokens()).withSeed(seed)
                : GenerationConfig.sampling(r.maxNewTokens(), (float) r.temperature(), 0, (float) r.topP(), seed);
        return c.withStopTokens(stopTokenIds).withStopStrings(r.stop());
    }

    /** The prompt's token ids, exactly as {@link #generate} uses them. */
    public int[] promptIds(Request r) {
        return tokenizer.encode(r.prompt(), r.addSpecialTokens()).ids();
    }

    @Override
    public Result generate(Request request, TokenSink sink, Cancellation cancellation) {
        int[] ids = promptIds(request);
        String field = request.addSpecialTokens() ? "prompt" : "messages"; // a templated prompt came from a chat
        if (ids.length == 0) {
            throw ApiException.badField(field, "encodes to no tokens");
        }
        if (ids.length >= contextLength) {
            throw ApiException.badField(field, "make a prompt of " + ids.length + " tokens; the model's context holds "
                    + contextLength + " including the answer");
        }
        Generation g = generator.generate(ids, config(request), this::decode, (token, delta) -> {
            if (!delta.isEmpty()) {
                sink.accept(delta);
            }
            return !cancellation.cancelled();
        });
        FinishReason reason = switch (g.stopReason()) {
            case STOP_TOKEN, STOP_STRING -> FinishReason.STOP;
            case MAX_NEW_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.CANCELLED;
        };
        return new Result(g.text(), ids.length, g.tokens().length, reason);
    }

    private String decode(int[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public String chatPrompt(List<ChatTemplate.Message> messages) {
        if (chatTemplate == null) {
            throw ApiException.badField("messages", "this model has no chat template; use /v1/completions with a prompt");
        }
        try {
            return chatTemplate.render(new ArrayList<>(messages), true);
        } catch (ChatTemplateException e) {
            throw ApiException.badField("messages", "the chat template refused them: " + e.getMessage());
        }
    }
}
