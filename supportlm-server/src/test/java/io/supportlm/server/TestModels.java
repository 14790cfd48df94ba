package io.supportlm.server;

import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.server.classify.ClassificationBackend;

/** Public access to {@link TinyModels} for tests in sub-packages. */
public final class TestModels {
    private TestModels() {}

    public static ClassificationBackend backend(long seed) {
        return TinyModels.backend(seed);
    }

    public static io.supportlm.model.hf.HfTokenizer tokenizer() {
        return TinyModels.tokenizer();
    }

    public static MultiTaskClassifier classifier(long seed) {
        return TinyModels.classifier(seed);
    }
}
