package io.supportlm.classify;

import io.supportlm.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One trained classifier, or several over the same tasks scored as an ensemble (their class
 * probabilities averaged, the usual way to combine independently trained models): each adapter
 * sits on its own opening of the base model, so the memory-mapped weights are shared and only
 * the adapters and activations are per member. What {@code eval} and {@code classify} score with.
 */
public final class LoadedClassifiers implements AutoCloseable {
    private final List<LoadedModel> models;
    private final List<MultiTaskClassifier> members;
    private final ClassifierCheckpoint.Meta meta;

    private LoadedClassifiers(List<LoadedModel> models, List<MultiTaskClassifier> members, ClassifierCheckpoint.Meta meta) {
        this.models = models;
        this.members = members;
        this.meta = meta;
    }

    /**
     * Opens each adapter directory on {@code model} (null: the base model the first adapter was
     * trained on). Every member must have the first one's base model, tasks, labels in the same
     * order, and maximum length, or the averaged probabilities would mean nothing.
     */
    public static LoadedClassifiers open(List<Path> adapterDirs, String model) throws IOException {
        if (adapterDirs.isEmpty()) {
            throw new IllegalArgumentException("give at least one classifier directory");
        }
        ClassifierCheckpoint.Meta first = ClassifierCheckpoint.readMeta(adapterDirs.get(0));
        for (Path dir : adapterDirs.subList(1, adapterDirs.size())) {
            ClassifierCheckpoint.Meta m = ClassifierCheckpoint.readMeta(dir);
            String differs = difference(m, first, model == null);
            if (differs != null) {
                throw new IllegalArgumentException(dir + ": cannot join an ensemble with " + adapterDirs.get(0) + ": it has " + differs);
            }
        }
        String base = model != null ? model : first.baseModel();
        List<LoadedModel> models = new ArrayList<>();
        List<MultiTaskClassifier> members = new ArrayList<>();
        try {
            for (Path dir : adapterDirs) {
                LoadedModel m = LoadedModel.open(base);
                models.add(m);
                members.add(ClassifierCheckpoint.load(dir, m.backbone()).classifier());
            }
        } catch (IOException | RuntimeException e) {
            models.forEach(LoadedModel::close);
            throw e;
        }
        return new LoadedClassifiers(models, members, first);
    }

    /** What keeps {@code m} out of an ensemble led by {@code first}, or null when nothing does. */
    private static String difference(ClassifierCheckpoint.Meta m, ClassifierCheckpoint.Meta first, boolean sameBase) {
        if (sameBase && !m.baseModel().equals(first.baseModel())) {
            return "base model " + m.baseModel() + " (the first: " + first.baseModel() + ")";
        }
        if (!ClassificationTask.sameLabels(m.tasks(), first.tasks())) {
            return "tasks and labels " + MultiTaskClassifier.describe(m.tasks());
        }
        if (m.maxLength() != first.maxLength()) {
            return "max_length " + m.maxLength() + " (the first: " + first.maxLength() + ")";
        }
        return null;
    }

    /** The first member's metadata (tasks, maximum length, base model): the same for all. */
    public ClassifierCheckpoint.Meta meta() {
        return meta;
    }

    /** The first member's base model (its tokenizer and padding id serve every member). */
    public LoadedModel model() {
        return models.get(0);
    }

    public int size() {
        return members.size();
    }

    /** Batched inference averaging every member's probabilities. */
    public ClassifierPredictor predictor(int batchSize) {
        LoadedModel m = model();
        return new ClassifierPredictor(members, m.tokenizer(), meta.maxLength(), m.padId(), batchSize);
    }

    @Override
    public void close() {
        models.forEach(LoadedModel::close);
    }
}
