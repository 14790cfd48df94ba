package io.supportlm.sft.data;

import io.supportlm.sft.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A DPO record: a prompt (a conversation ending with the user's turn) and two replies to it, the
 * chosen and the rejected one. {@code source} is {@code file:line}.
 */
public record PreferencePair(String source, List<ChatMessage> prompt, String chosen, String rejected) {
    public PreferencePair {
        Objects.requireNonNull(source, "source");
        prompt = List.copyOf(prompt);
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
        if (prompt.isEmpty() || prompt.getLast().isAssistant()) {
            throw new IllegalArgumentException("prompt: must end with the user's turn that the replies answer");
        }
        if (chosen.isBlank()) {
            throw new IllegalArgumentException("chosen: the reply is empty");
        }
        if (rejected.isBlank()) {
            throw new IllegalArgumentException("rejected: the reply is empty");
        }
        conversation(prompt, chosen, source); // checks the prompt's shape
    }

    /** The prompt followed by the chosen reply, trained on that reply only. */
    public Conversation chosenConversation() {
        return conversation(prompt, chosen, source);
    }

    /** The prompt followed by the rejected reply, trained on that reply only. */
    public Conversation rejectedConversation() {
        return conversation(prompt, rejected, source);
    }

    /** This pair with {@code system} first in its prompt, unless the prompt has a system message. */
    public PreferencePair withDefaultSystem(String system) {
        if (system == null || prompt.getFirst().role().equals("system")) {
            return this;
        }
        List<ChatMessage> withSystem = new ArrayList<>();
        withSystem.add(new ChatMessage("system", system));
        withSystem.addAll(prompt);
        return new PreferencePair(source, withSystem, chosen, rejected);
    }

    private static Conversation conversation(List<ChatMessage> prompt, String reply, String source) {
        List<ChatMessage> messages = new ArrayList<>(prompt);
        messages.add(new ChatMessage("assistant", reply));
        return new Conversation(source, messages, prompt.size());
    }
}
