package io.supportlm.server;

import io.supportlm.server.classify.ClassificationBackend;
import java.util.Optional;

/**
 * One model the server answers for: the base ({@code parent} null) or an adapter over it. A
 * model may classify, generate, both, or (a bare encoder base) neither; the endpoints say which.
 */
public record ServedModel(String name, String parent, ClassificationBackend classifier, TextGenerator generator) {
    public ServedModel {
        ModelNames.require(name, "model");
        if (parent != null) {
            ModelNames.require(parent, "base model");
        }
    }

    public static ServedModel base(String name, ClassificationBackend classifier, TextGenerator generator) {
        return new ServedModel(name, null, classifier, generator);
    }

    public static ServedModel adapter(String name, String base, ClassificationBackend classifier, TextGenerator generator) {
        return new ServedModel(name, base, classifier, generator);
    }

    public Optional<ClassificationBackend> classification() {
        return Optional.ofNullable(classifier);
    }

    public Optional<TextGenerator> generation() {
        return Optional.ofNullable(generator);
    }
}
