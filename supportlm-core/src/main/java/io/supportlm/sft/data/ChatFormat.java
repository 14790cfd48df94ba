package io.supportlm.sft.data;

import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.sft.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a conversation becomes text: the model's chat template, or, for a base model without one,
 * a plain format. Training and inference must use the same one, so the chat command and the
 * evaluation render prompts through this type too.
 */
public sealed interface ChatFormat permits ChatFormat.Template, ChatFormat.Plain {

    /** The conversation as text; {@code addGenerationPrompt} appends the assistant's header. */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** A line for logs: which format and why. */
    String describe();

    /** The model's chat template (rendered with jinjava as transformers renders it). */
    static ChatFormat template(ChatTemplate template) {
        return new Template(template);
    }

    /** The plain fallback format with the tokenizer's BOS (if any) and EOS. */
    static ChatFormat plain(HfTokenizer tokenizer) {
        String eos = tokenizer.specialTokens().eos().orElse(null);
        if (eos == null && tokenizer.eosId().isPresent()) {
            eos = tokenizer.decode(new int[] {tokenizer.eosId().getAsInt()}, false);
        }
        if (eos == null || eos.isEmpty()) {
            throw new IllegalArgumentException(tokenizer.file() + ": the plain chat format needs an EOS token to end each reply, "
                    + "and the tokenizer has none (set eos_token in tokenizer_config.json)");
        }
        return new Plain(tokenizer.specialTokens().bos().orElse(""), eos);
    }

    /** The model's chat template when it has one, else the plain format. */
    static ChatFormat forModel(ModelDirectory model, HfTokenizer tokenizer) {
        return model.hasChatTemplate() ? template(model.chatTemplate()) : plain(tokenizer);
    }

    /** A chat template. */
    record Template(ChatTemplate template) implements ChatFormat {
        public Template {
            Objects.requireNonNull(template, "template");
        }

        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
            List<ChatTemplate.Message> converted = new ArrayList<>(messages.size());
            for (ChatMessage m : messages) {
                converted.add(new ChatTemplate.Message(m.role(), m.content()));
            }
            return template.render(converted, addGenerationPrompt);
        }

        @Override
        public String describe() {
            return "the model's chat template";
        }
    }

    /**
     * For base models without a chat template:
     * <pre>
     * {bos}System: {system}
     * User: {user}
     * Assistant: {reply}{eos}
     * User: …
     * </pre>
     * one message a line, each reply closed by the EOS token; the generation prompt is
     * {@code Assistant:} without the space, so that the reply's first token keeps its leading space
     * (as " Hello" in byte-level BPE) and the prompt stays a token prefix of the full text.
     */
    record Plain(String bos, String eos) implements ChatFormat {
        public Plain {
            Objects.requireNonNull(bos, "bos");
            Objects.requireNonNull(eos, "eos");
        }

        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
            StringBuilder out = new StringBuilder(bos);
            for (ChatMessage m : messages) {
                switch (m.role()) {
                    case "system" -> out.append("System: ").append(m.content()).append('\n');
                    case "user" -> out.append("User: ").append(m.content()).append('\n');
                    default -> out.append("Assistant: ").append(m.content()).append(eos).append('\n');
                }
            }
            if (addGenerationPrompt) {
                out.append("Assistant:");
            }
            return out.toString();
        }

        @Override
        public String describe() {
            return "plain format (no chat template): \"User: …\\nAssistant: …" + eos + "\"";
        }
    }
}
