package io.supportlm.eval.reply;

import io.supportlm.generate.Generation;
import io.supportlm.generate.GenerationConfig;
import io.supportlm.generate.Generator;
import io.supportlm.generate.TokenStream;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.data.ChatFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Responder} over a decoder: the question (and the context, as a system message) is
 * rendered with the generation prompt by the same {@link ChatFormat} training renders
 * conversations with (the model's chat template, or the plain format for a model without one),
 * tokenized without adding special tokens (the format wrote them, as in training), and answered by
 * {@link Generator} with the given settings (greedy for evaluation), stopping at the stop ids
 * given (the model's end-of-sequence ids and those the adapter was trained to end with).
 */
public final class DecoderResponder implements Responder {
    private final String name;
    private final Generator generator;
    private final HfTokenizer tokenizer;
    private final ChatFormat format;
    private final GenerationConfig config;
    private final String systemPrompt;
    private final int contextLength;

    /**
     * @param prefix       virtual tokens before every prompt (a prompt-tuned adapter), or null
     * @param format       how training rendered conversations ({@link ChatFormat#forModel})
     * @param config       sampling settings; its stop tokens should hold the model's EOS ids
     * @param systemPrompt optional instructions put first in the system message (null for none)
     */
    public DecoderResponder(String name, DecoderModel model, Generator.Prefix prefix, HfTokenizer tokenizer, ChatFormat format,
                            GenerationConfig config, String systemPrompt) {
        this.name = name;
        this.generator = new Generator(model, prefix);
        this.tokenizer = tokenizer;
        this.format = format;
        this.config = config;
        this.systemPrompt = systemPrompt;
        this.contextLength = model.config().maxPositions() - (prefix == null ? 0 : prefix.length());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Answer answer(String question, String context) {
        return generate(messages(question, context), null);
    }

    /** The conversation for one question: a system message (instructions and context) when there is one, then the user's. */
    List<ChatTemplate.Message> messages(String question, String context) {
        var messages = new ArrayList<ChatTemplate.Message>();
        String system = systemPrompt == null ? "" : systemPrompt;
        if (context != null && !context.isBlank()) {
            system = (system.isEmpty() ? "" : system + "\n\n") + "Context:\n" + context;
        }
        if (!system.isEmpty()) {
            messages.add(ChatTemplate.Message.system(system));
        }
        messages.add(ChatTemplate.Message.user(question));
        return messages;
    }

    /** The prompt text for a conversation, ending where the assistant's answer starts: as training rendered it. */
    public String prompt(List<ChatTemplate.Message> messages) {
        List<ChatMessage> converted = new ArrayList<>(messages.size());
        for (ChatTemplate.Message m : messages) {
            converted.add(new ChatMessage(m.role(), m.content()));
        }
        return format.render(converted, true);
    }

    /** The system prompt put first in every conversation (null: none). */
    public String systemPrompt() {
        return systemPrompt;
    }

    /**
     * Answers a whole conversation (the chat REPL uses this), streaming each final piece of text to
     * {@code stream} when it is not null.
     */
    public Answer generate(List<ChatTemplate.Message> messages, TokenStream stream) {
        return generate(messages, config, stream);
    }

    public Answer generate(List<ChatTemplate.Message> messages, GenerationConfig settings, TokenStream stream) {
        String prompt = prompt(messages);
        int[] ids = tokens(prompt);
        long start = System.nanoTime();
        Generation g = generator.generate(ids, settings, this::decode, stream);
        double ms = (System.nanoTime() - start) / 1e6;
        boolean truncated = g.stopReason() == Generation.StopReason.MAX_NEW_TOKENS
                || g.stopReason() == Generation.StopReason.CONTEXT_FULL;
        return new Answer(g.text(), g.tokens().length, ms, truncated);
    }

    /** The prompt's length in tokens, as {@link #generate} would feed it. */
    public int promptTokens(List<ChatTemplate.Message> messages) {
        return promptIds(messages).length;
    }

    /** The prompt's token ids, as {@link #generate} feeds them to the model. */
    public int[] promptIds(List<ChatTemplate.Message> messages) {
        return tokens(prompt(messages));
    }

    /** No special tokens added: the format wrote BOS where the model wants one, as {@code ConversationEncoder} tokenizes. */
    private int[] tokens(String prompt) {
        return tokenizer.encode(prompt, false).ids();
    }

    /** The model's context length (max_position_embeddings): prompt and answer together. */
    public int contextLength() {
        return contextLength;
    }

    /** The settings answers are generated with. */
    public GenerationConfig config() {
        return config;
    }

    private String decode(int[] ids) {
        return tokenizer.decode(ids, true);
    }
}
