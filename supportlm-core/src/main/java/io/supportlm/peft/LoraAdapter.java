package io.supportlm.peft;

import io.supportlm.model.Backbone;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The LoRA adapters attached to one backbone: which modules carry one, and their trainable
 * matrices under the names PEFT uses in {@code adapter_model.safetensors}
 * ({@code <module>.lora_A.weight}, {@code <module>.lora_B.weight}, module names as the model's).
 */
public final class LoraAdapter {
    private final LoraConfig config;
    private final DropoutSchedule schedule;
    private final Map<String, LoraLinear> layers;

    private LoraAdapter(LoraConfig config, DropoutSchedule schedule, Map<String, LoraLinear> layers) {
        this.config = config;
        this.schedule = schedule;
        this.layers = layers;
    }

    /**
     * Wraps every targeted linear layer of {@code backbone} in a new adapter (A random from
     * {@code seed}, B zero). Fails when the targets match no module, listing the module names.
     */
    public static LoraAdapter attach(Backbone backbone, LoraConfig config, long seed) {
        DropoutSchedule schedule = new DropoutSchedule();
        Random rng = new Random(seed);
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        long site = 0;
        for (Map.Entry<String, LinearLayer> e : backbone.linearLayers().entrySet()) {
            if (config.targets(e.getKey())) {
                LoraLinear lora = new LoraLinear(e.getValue(), config, rng, schedule, site++);
                backbone.replaceLinear(e.getKey(), lora);
                layers.put(e.getKey(), lora);
            }
        }
        if (layers.isEmpty()) {
            List<String> names = new ArrayList<>(backbone.linearLayers().keySet());
            throw new IllegalArgumentException("lora target_modules " + config.targetModules() + " match no linear layer of this "
                    + backbone.modelType() + " model; its layers are named like " + names.subList(0, Math.min(6, names.size())));
        }
        return new LoraAdapter(config, schedule, layers);
    }

    public LoraConfig config() {
        return config;
    }

    /** Shared by every adapter layer: set the step before each training forward. */
    public DropoutSchedule schedule() {
        return schedule;
    }

    /** Every layer's adapter on or off at once (see {@link LoraLinear#setEnabled}). */
    public void setEnabled(boolean on) {
        layers.values().forEach(l -> l.setEnabled(on));
    }

    /**
     * An adapter around the given layers, already attached (loaded from a file). The layers share
     * {@code schedule}.
     */
    public static LoraAdapter of(LoraConfig config, DropoutSchedule schedule, Map<String, LoraLinear> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a LoRA adapter needs at least one layer");
        }
        return new LoraAdapter(config, schedule, new LinkedHashMap<>(layers));
    }

    public Map<String, LoraLinear> layers() {
        return layers;
    }

    /** Trainable tensors, PEFT-named, in a stable order. */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Map.Entry<String, LoraLinear> e : layers.entrySet()) {
            out.add(new Parameter(e.getKey() + ".lora_A.weight", e.getValue().a(), e.getValue().gradA()));
            out.add(new Parameter(e.getKey() + ".lora_B.weight", e.getValue().b(), e.getValue().gradB()));
        }
        return out;
    }

    public long trainableCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.values().length;
        }
        return n;
    }
}
