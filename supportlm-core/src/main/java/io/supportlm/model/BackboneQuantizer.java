package io.supportlm.model;

import io.supportlm.tensor.QuantScheme;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quantizes the frozen linear layers of a backbone in place (the QLoRA base), before adapters are
 * attached. The original layers are returned, not copied: they still view the checkpoint's
 * memory-mapped (or loaded) weights, which is what a later merge must fold adapters into.
 *
 * <p>Holding the originals costs no heap for a checkpoint opened from disk (its tensors are
 * read-only memory maps: the pages read while quantizing sit in the OS page cache and are dropped
 * under pressure). For weights loaded onto the heap, a caller that will not merge should drop the
 * result's {@code originals}, or the f32 copies stay alive next to the quantized ones.
 */
public final class BackboneQuantizer {
    private BackboneQuantizer() {}

    /**
     * What quantizing did: the original layers by module name, and the bytes of their weight
     * matrices before (as stored: f32, bf16, f16) and after (codes plus f32 scales). Biases stay
     * f32 and are counted in neither.
     */
    public record Result(QuantScheme scheme, Map<String, FrozenLinear> originals, long bytesBefore, long bytesAfter) {
        public Result {
            originals = Collections.unmodifiableMap(new LinkedHashMap<>(originals)); // keeps the module order
        }

        public int layerCount() {
            return originals.size();
        }
    }

    /**
     * Replaces every linear layer of {@code backbone} with a {@link QuantizedLinear}. Every layer
     * must still be a plain {@link FrozenLinear}: quantizing under an attached adapter, or twice,
     * is refused with the offending module's name.
     */
    public static Result quantizeInPlace(Backbone backbone, QuantScheme scheme) {
        Map<String, LinearLayer> layers = new LinkedHashMap<>(backbone.linearLayers());
        for (Map.Entry<String, LinearLayer> e : layers.entrySet()) {
            if (!(e.getValue() instanceof FrozenLinear)) {
                throw new IllegalArgumentException("cannot quantize module " + e.getKey() + ": it is a "
                        + e.getValue().getClass().getSimpleName() + ", not a plain frozen linear layer"
                        + " (quantize the base before attaching adapters, and only once)");
            }
        }
        Map<String, FrozenLinear> originals = new LinkedHashMap<>();
        long before = 0, after = 0;
        for (Map.Entry<String, LinearLayer> e : layers.entrySet()) {
            FrozenLinear frozen = (FrozenLinear) e.getValue();
            QuantizedLinear quantized = QuantizedLinear.of(e.getKey(), frozen, scheme);
            backbone.replaceLinear(e.getKey(), quantized);
            originals.put(e.getKey(), frozen);
            before += frozen.weight().size() * frozen.weight().dtype().byteSize();
            after += quantized.weight().byteSize();
        }
        return new Result(scheme, originals, before, after);
    }
}
