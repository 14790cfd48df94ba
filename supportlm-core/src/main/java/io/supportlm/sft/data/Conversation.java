package io.supportlm.sft.data;

import io.supportlm.sft.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One training conversation: its messages, where it came from ({@code file:line}) and from which
 * message on the assistant's replies are learned.
 *
 * <p>{@code trainFrom} separates context from targets: assistant messages before it are history
 * the model sees but is not trained to write (a record's earlier turns, the prompt of a
 * prompt/completion pair); every assistant message from it on carries the loss. A
 * {@code {"messages": …}} record trains on all its assistant turns ({@code trainFrom} 0), as TRL's
 * assistant-only loss does.
 *
 * <p>Shape: system (optional, first only), then a user turn, ..., ending with an assistant reply;
 * trained replies are not blank.
 */
public record Conversation(String source, List<ChatMessage> messages, int trainFrom) {
    public Conversation {
        Objects.requireNonNull(source, "source");
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one user turn and one assistant reply");
        }
        if (trainFrom < 0 || trainFrom >= messages.size()) {
            throw new IllegalArgumentException("trainFrom " + trainFrom + " is outside the " + messages.size() + " messages");
        }
        int first = messages.getFirst().role().equals("system") ? 1 : 0;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (i > 0 && m.role().equals("system")) {
                throw new IllegalArgumentException("messages[" + i + "]: a system message may only come first");
            }
            if (i >= trainFrom && m.isAssistant() && m.content().isBlank()) {
                throw new IllegalArgumentException("messages[" + i + "].content: the assistant reply is empty");
            }
        }
        if (messages.size() <= first || !messages.get(first).role().equals("user")) {
            throw new IllegalArgumentException("messages[" + first + "]: the conversation must start with a user turn"
                    + (first == 1 ? " after the system message" : ""));
        }
        if (!messages.getLast().isAssistant()) {
            throw new IllegalArgumentException("messages[" + (messages.size() - 1)
                    + "]: the conversation must end with an assistant reply (turns after the last reply carry no loss)");
        }
    }

    /** A conversation whose assistant turns are all trained. */
    public static Conversation of(String source, List<ChatMessage> messages) {
        return new Conversation(source, messages, 0);
    }

    /** True when the first message is a system prompt. */
    public boolean hasSystem() {
        return messages.getFirst().role().equals("system");
    }

    /** True when message {@code i} is an assistant reply that carries the loss. */
    public boolean trains(int i) {
        return i >= trainFrom && messages.get(i).isAssistant();
    }

    /** This conversation with {@code prompt} as its first message, unless it has a system message already. */
    public Conversation withDefaultSystem(String prompt) {
        if (prompt == null || hasSystem()) {
            return this;
        }
        List<ChatMessage> withSystem = new ArrayList<>(messages.size() + 1);
        withSystem.add(new ChatMessage("system", prompt));
        withSystem.addAll(messages);
        return new Conversation(source, withSystem, trainFrom + 1);
    }
}
