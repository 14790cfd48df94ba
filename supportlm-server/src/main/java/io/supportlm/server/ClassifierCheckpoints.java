package io.supportlm.server;

import io.supportlm.classify.ClassifierCheckpoint;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.model.Backbone;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link AdapterLoader} that {@code supportlm serve} uses for {@code --adapter NAME=DIR}: reads
 * a classifier saved by training ({@link ClassifierCheckpoint}: PEFT adapter, heads, labels) onto
 * a fresh encoder instance over the shared base weights.
 */
public final class ClassifierCheckpoints implements AdapterLoader {
    @Override
    public MultiTaskClassifier load(Path adapterDir, Backbone backbone) {
        if (!Files.isDirectory(adapterDir)) {
            throw new IllegalArgumentException(adapterDir + ": no such adapter directory");
        }
        try {
            return ClassifierCheckpoint.load(adapterDir, backbone).classifier();
        } catch (IOException e) {
            throw new UncheckedIOException(adapterDir + ": " + e.getMessage(), e);
        }
    }
}
