package io.supportlm.server;

import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.model.Backbone;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link AdapterLoader} that {@code supportlm serve} uses for {@code --adapter NAME=DIR}.
 *
 * <p>The classifier checkpoint format (adapter + heads + labels, written by training) is being
 * defined in {@code io.supportlm.classify}; until it is merged, this loader checks the directory
 * and refuses it with a clear message rather than guessing at a format. Replace the body of
 * {@link #load} with a call to that format's reader.
 */
public final class ClassifierCheckpoints implements AdapterLoader {
    @Override
    public MultiTaskClassifier load(Path adapterDir, Backbone backbone) {
        if (!Files.isDirectory(adapterDir)) {
            throw new IllegalArgumentException(adapterDir + ": no such adapter directory");
        }
        throw new IllegalArgumentException(adapterDir + ": this build cannot read classifier adapters yet "
                + "(the checkpoint format of runs/<id>/adapter is not part of it); serve the base model alone");
    }
}
