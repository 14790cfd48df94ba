package io.supportlm.server;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.server.classify.ClassificationBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models of one server by name: the base first, then its adapters, as {@code /v1/models}
 * lists them. A request's {@code model} field picks one; names are validated before lookup so an
 * adapter name can never become a path.
 */
public final class ServedModels {
    private final Map<String, ServedModel> byName = new LinkedHashMap<>();

    public ServedModels(List<ServedModel> models) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("the server needs at least one model");
        }
        for (ServedModel m : models) {
            if (byName.putIfAbsent(m.name(), m) != null) {
                throw new IllegalArgumentException("model name '" + m.name() + "' is used twice");
            }
        }
        for (ServedModel m : models) {
            if (m.parent() != null && !byName.containsKey(m.parent())) {
                throw new IllegalArgumentException("adapter '" + m.name() + "' names base '" + m.parent() + "', which is not served");
            }
        }
    }

    public List<ServedModel> all() {
        return List.copyOf(byName.values());
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * The model that classifies for a request: the named one, or the first that classifies when
     * {@code name} is null. 400 for an invalid name or a model without heads, 404 for an unknown one.
     */
    public ServedModel classifier(String name) {
        if (name == null) {
            return byName.values().stream().filter(m -> m.classifier() != null).findFirst()
                    .orElseThrow(() -> new ApiException(400, "invalid_request_error", "model",
                            "none of the served models has classification heads (served: " + names() + ")"));
        }
        ServedModel m = find(name);
        if (m.classifier() == null) {
            List<String> classifying = byName.values().stream().filter(x -> x.classifier() != null).map(ServedModel::name).toList();
            throw ApiException.badField("model", "model '" + name + "' has no classification heads; models that classify: " + classifying);
        }
        return m;
    }

    /**
     * The model that generates for a request (the seam for the generation endpoints): the named
     * one, or the first that generates when {@code name} is null. 400/404 as {@link #classifier}.
     */
    public ServedModel generator(String name) {
        if (name == null) {
            return byName.values().stream().filter(m -> m.generator() != null).findFirst()
                    .orElseThrow(() -> new ApiException(400, "invalid_request_error", "model",
                            "none of the served models generates text (served: " + names() + ")"));
        }
        ServedModel m = find(name);
        if (m.generator() == null) {
            List<String> generating = byName.values().stream().filter(x -> x.generator() != null).map(ServedModel::name).toList();
            throw ApiException.badField("model", "model '" + name + "' does not generate text; models that do: " + generating);
        }
        return m;
    }

    /** The named model; 400 when the name is not a valid name, 404 when no such model is served. */
    public ServedModel find(String name) {
        if (!ModelNames.isValid(name)) {
            throw ApiException.badField("model", "is not a valid model name (1-64 letters, digits, '.', '_', '-'; no '/' or '..')");
        }
        ServedModel m = byName.get(name);
        if (m == null) {
            throw new ApiException(404, "not_found_error", "model", "model '" + name + "' is not served; served models: " + names());
        }
        return m;
    }

    /** Every task name with its labels, over all classifying models (for checking a policy). */
    public Map<String, List<String>> labelsByTask() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (ServedModel m : byName.values()) {
            ClassificationBackend c = m.classifier();
            if (c == null) {
                continue;
            }
            for (ClassificationTask t : c.tasks()) {
                List<String> labels = out.computeIfAbsent(t.name(), k -> new ArrayList<>());
                t.labels().stream().filter(l -> !labels.contains(l)).forEach(labels::add);
            }
        }
        return out;
    }
}
