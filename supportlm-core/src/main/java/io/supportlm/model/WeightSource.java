package io.supportlm.model;

import io.supportlm.io.WeightStore;
import io.supportlm.tensor.Tensor;
import java.util.Set;

/** Named tensors of a checkpoint, as a model's weight layout reads them. */
public interface WeightSource {
    /** The names present. */
    Set<String> names();

    /** The tensor called {@code name}; an exception naming it (and the checkpoint) when absent. */
    Tensor tensor(String name);

    /** The tensors of a checkpoint on disk (memory-mapped, not copied). */
    static WeightSource of(WeightStore store) {
        return new WeightSource() {
            @Override
            public Set<String> names() {
                return store.names();
            }

            @Override
            public Tensor tensor(String name) {
                return store.tensor(name);
            }
        };
    }

    default boolean has(String name) {
        return names().contains(name);
    }

    /** The tensor, checked to have exactly these dimensions. */
    default Tensor tensor(String name, int... dims) {
        return tensor(name).requireShape(name, dims);
    }

    /** A small tensor (norm weights, biases) copied to f32, checked to have {@code n} elements. */
    default float[] vector(String name, int n) {
        return tensor(name, n).toFloatArray();
    }
}
