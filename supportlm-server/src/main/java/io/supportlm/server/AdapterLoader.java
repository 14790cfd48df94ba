package io.supportlm.server;

import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.model.Backbone;
import java.nio.file.Path;

/**
 * Turns a fine-tuned adapter directory ({@code runs/<id>/adapter}: LoRA weights, classification
 * heads, task labels) into a classifier over {@code backbone}, a fresh encoder instance built on
 * the base weights that every adapter shares. The loader attaches the LoRA layers to that
 * instance (which replaces its linear layers in place, hence one instance per adapter) and builds
 * the heads. This is the only place the server depends on the classifier checkpoint format.
 */
@FunctionalInterface
public interface AdapterLoader {
    MultiTaskClassifier load(Path adapterDir, Backbone backbone);
}
