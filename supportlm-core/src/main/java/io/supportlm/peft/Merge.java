package io.supportlm.peft;

import io.supportlm.io.SafetensorsWriter;
import io.supportlm.io.WeightStore;
import io.supportlm.model.FrozenLinear;
import io.supportlm.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Folds LoRA adapters into the base model's ORIGINAL-precision weights. After QLoRA the adapter
 * wraps a quantized copy of the base; merging into that copy would bake the 4-bit rounding error
 * into the exported model, so {@code export merge} merges into the checkpoint's weights instead:
 * {@code W_merged = W_original + s·B·A}, with only the adapter's training having seen the
 * quantized base (QLoRA paper, and PEFT's {@code merge_and_unload} on a dequantized base).
 */
public final class Merge {
    private Merge() {}

    /**
     * {@code original.weight + adapter.deltaWeight()} in f32, with the original's bias. The
     * adapter may sit on any base (a quantized one included) of the original's shape; refuses a
     * shape mismatch and non-finite results, naming {@code module}.
     */
    public static FrozenLinear intoOriginal(String module, FrozenLinear original, LoraLinear adapter) {
        if (original.inFeatures() != adapter.inFeatures() || original.outFeatures() != adapter.outFeatures()) {
            throw new IllegalArgumentException("cannot merge the adapter of " + module + ": it is ["
                    + adapter.outFeatures() + ", " + adapter.inFeatures() + "], the original weight is "
                    + original.weight().shape());
        }
        float[] w = original.weight().toFloatArray();
        float[] delta = adapter.deltaWeight();
        for (int i = 0; i < w.length; i++) {
            w[i] += delta[i];
            if (!Float.isFinite(w[i])) {
                throw new IllegalStateException("merging the LoRA adapter of " + module
                        + " gives a non-finite weight at element " + i);
            }
        }
        return new FrozenLinear(Tensor.wrap(w, original.outFeatures(), original.inFeatures()), original.bias());
    }

    /**
     * Merges every layer of {@code adapter} into its original, by module name (the originals as
     * {@code BackboneQuantizer.quantizeInPlace} returned them, or as loaded from the checkpoint).
     * A module without an original is an error that names it.
     */
    public static Map<String, FrozenLinear> intoOriginals(LoraAdapter adapter, Map<String, FrozenLinear> originals) {
        Map<String, FrozenLinear> merged = new LinkedHashMap<>();
        for (Map.Entry<String, LoraLinear> e : adapter.layers().entrySet()) {
            FrozenLinear original = originals.get(e.getKey());
            if (original == null) {
                throw new IllegalArgumentException("no original weight for adapted module " + e.getKey()
                        + " (originals hold " + originals.size() + " modules)");
            }
            merged.put(e.getKey(), intoOriginal(e.getKey(), original, e.getValue()));
        }
        return merged;
    }

    /**
     * Adds every tensor of {@code base} to {@code out}, in the base's order, with the merged
     * weight in place of each tensor named in {@code replaced} (tensor name to module name, a key
     * of {@code merged}); returns how many tensors were added. The export of classifiers and of
     * reply-generation adapters both write their checkpoint this way.
     */
    public static int writeWithMerged(SafetensorsWriter out, WeightStore base, Map<String, String> replaced,
                                      Map<String, FrozenLinear> merged) {
        int tensors = 0;
        for (String name : base.names()) {
            String module = replaced.get(name);
            if (module != null) {
                FrozenLinear m = merged.get(module);
                out.add(name, m.weight().toFloatArray(), m.outFeatures(), m.inFeatures());
            } else {
                out.add(name, base.tensor(name));
            }
            tensors++;
        }
        return tensors;
    }
}
