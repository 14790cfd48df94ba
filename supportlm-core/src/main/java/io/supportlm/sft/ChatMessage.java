package io.supportlm.sft;

import java.util.Objects;
import java.util.Set;

/** One turn of a conversation, with the role names chat templates expect. */
public record ChatMessage(String role, String content) {
    public static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("message role '" + role + "': expected one of system, user, assistant");
        }
    }

    public boolean isAssistant() {
        return role.equals("assistant");
    }
}
