package io.supportlm.model.hf;

/**
 * A chat template could not be rendered: it called {@code raise_exception} (for example "Conversation
 * roles must alternate user/assistant/..."), or it is not valid Jinja for our engine.
 */
public final class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
