package io.supportlm.model;

import io.supportlm.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Weights held in memory by name: freshly initialized or converted models, and tests. */
public final class InMemoryWeights implements WeightSource {
    private final String description;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public InMemoryWeights(String description) {
        this.description = description;
    }

    public InMemoryWeights put(String name, Tensor t) {
        tensors.put(name, t);
        return this;
    }

    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(description + ": no tensor named '" + name + "'");
        }
        return t;
    }
}
