package io.supportlm.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code config.json} (or an object nested in it) with typed accessors whose
 * errors name the file and field: {@code config.json: field 'hidden_size' must be an integer, got "abc"}.
 * Family packages build their validated config records from it; defaults belong to them (they are
 * those of each transformers configuration class), so this class only reads.
 *
 * <p>Covers the layouts that vary across transformers versions: a multimodal wrapper's
 * {@code text_config} ({@link #textConfig()}), and rotary settings as {@code rope_theta} +
 * {@code rope_scaling} or as the newer {@code rope_parameters}, possibly per layer type
 * ({@link #rope}).
 */
public final class ConfigJson {
    private final JsonNode node;
    private final String file; // for messages
    private final String prefix; // "" or "text_config." for nested objects

    private ConfigJson(JsonNode node, String file, String prefix) {
        this.node = node;
        this.file = file;
        this.prefix = prefix;
    }

    /** Reads a JSON file holding an object. */
    public static ConfigJson load(Path file) {
        return new ConfigJson(JsonFiles.readObject(file), file.toString(), "");
    }

    /** Wraps a parsed object; {@code source} names it in messages. */
    public static ConfigJson of(JsonNode node, String source) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(source + ": must be a JSON object");
        }
        return new ConfigJson(node, source, "");
    }

    public JsonNode raw() {
        return node;
    }

    public String source() {
        return file;
    }

    /** True when the field is present and not null. */
    public boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    private IllegalArgumentException wrong(String field, String expected, JsonNode got) {
        return new IllegalArgumentException(file + ": field '" + prefix + field + "' must be " + expected + ", got " + got);
    }

    private JsonNode required(String field) {
        if (!has(field)) {
            throw new IllegalArgumentException(file + ": missing field '" + prefix + field + "'");
        }
        return node.get(field);
    }

    public int requireInt(String field) {
        JsonNode v = required(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrong(field, "an integer", v);
        }
        return v.intValue();
    }

    public OptionalInt optInt(String field) {
        return has(field) ? OptionalInt.of(requireInt(field)) : OptionalInt.empty();
    }

    public int getInt(String field, int defaultValue) {
        return has(field) ? requireInt(field) : defaultValue;
    }

    /** A number (integers accepted, as Python writes {@code 10000} for {@code 10000.0}). */
    public double requireDouble(String field) {
        JsonNode v = required(field);
        if (!v.isNumber()) {
            throw wrong(field, "a number", v);
        }
        return v.doubleValue();
    }

    public OptionalDouble optDouble(String field) {
        return has(field) ? OptionalDouble.of(requireDouble(field)) : OptionalDouble.empty();
    }

    public double getDouble(String field, double defaultValue) {
        return has(field) ? requireDouble(field) : defaultValue;
    }

    public boolean requireBoolean(String field) {
        JsonNode v = required(field);
        if (!v.isBoolean()) {
            throw wrong(field, "true or false", v);
        }
        return v.booleanValue();
    }

    public boolean getBoolean(String field, boolean defaultValue) {
        return has(field) ? requireBoolean(field) : defaultValue;
    }

    public String requireString(String field) {
        JsonNode v = required(field);
        if (!v.isTextual()) {
            throw wrong(field, "a string", v);
        }
        return v.textValue();
    }

    public Optional<String> optString(String field) {
        return has(field) ? Optional.of(requireString(field)) : Optional.empty();
    }

    public String getString(String field, String defaultValue) {
        return has(field) ? requireString(field) : defaultValue;
    }

    /** An integer or a list of integers (as {@code eos_token_id}); empty when absent. */
    public List<Integer> intOrIntList(String field) {
        if (!has(field)) {
            return List.of();
        }
        JsonNode v = node.get(field);
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return List.of(v.intValue());
        }
        if (!v.isArray()) {
            throw wrong(field, "an integer or a list of integers", v);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw wrong(field, "an integer or a list of integers", v);
            }
            out.add(e.intValue());
        }
        return List.copyOf(out);
    }

    /** A list of strings (as {@code layer_types}); empty when absent. */
    public List<String> stringList(String field) {
        if (!has(field)) {
            return List.of();
        }
        JsonNode v = node.get(field);
        List<String> out = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw wrong(field, "a list of strings", v);
                }
                out.add(e.textValue());
            }
            return List.copyOf(out);
        }
        throw wrong(field, "a list of strings", v);
    }

    /** A nested object, when present. */
    public Optional<ConfigJson> object(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        if (!v.isObject()) {
            throw wrong(field, "an object", v);
        }
        return Optional.of(new ConfigJson(v, file, prefix + field + "."));
    }

    public String modelType() {
        return requireString("model_type");
    }

    /**
     * The text model's config: {@code text_config} when the file wraps one (multimodal checkpoints
     * such as {@code gemma3}), else this config itself.
     */
    public ConfigJson textConfig() {
        return object("text_config").orElse(this);
    }

    /**
     * Rotary embedding settings, read from whichever layout the file uses:
     * <ul>
     *   <li>{@code rope_parameters} (newer transformers): an object with {@code rope_type},
     *       {@code rope_theta} and the type's parameters, or one such object per layer type
     *       ({@code {"full_attention": {...}, "sliding_attention": {...}}}), chosen by {@code layerType};</li>
     *   <li>{@code rope_theta} (else {@code defaultTheta}) and {@code rope_scaling} (null for plain
     *       rope; its type under {@code rope_type} or, in older files, {@code type}).</li>
     * </ul>
     * {@code layerType} may be null for models with a single kind of attention layer.
     */
    public RopeParameters rope(String layerType, double defaultTheta) {
        Optional<ConfigJson> parameters = object("rope_parameters");
        if (parameters.isPresent()) {
            ConfigJson p = parameters.get();
            if (layerType != null && p.has(layerType)) {
                p = p.object(layerType).orElseThrow();
            } else if (!p.has("rope_type") && !p.has("rope_theta") && !p.has("type")) {
                throw new IllegalArgumentException(file + ": field '" + prefix + "rope_parameters' has no entry for layer type '"
                        + layerType + "' and no rope_type/rope_theta");
            }
            String type = p.has("rope_type") ? p.requireString("rope_type") : p.getString("type", "default");
            return new RopeParameters(type, p.getDouble("rope_theta", getDouble("rope_theta", defaultTheta)), p);
        }
        double theta = getDouble("rope_theta", defaultTheta);
        Optional<ConfigJson> scaling = object("rope_scaling");
        if (scaling.isEmpty()) {
            return new RopeParameters("default", theta, null);
        }
        ConfigJson s = scaling.get();
        String type = s.has("rope_type") ? s.requireString("rope_type") : s.getString("type", "default");
        return new RopeParameters(type, theta, s);
    }

    /**
     * Rotary settings: {@code type} is transformers' rope type ({@code default}, {@code linear},
     * {@code dynamic}, {@code yarn}, {@code llama3}, {@code longrope}, ...), {@code theta} the base,
     * {@code parameters} the object holding the type's own fields ({@code factor},
     * {@code original_max_position_embeddings}, ...), or null for plain rope.
     */
    public record RopeParameters(String type, double theta, ConfigJson parameters) {
        public RopeParameters {
            if (!(theta > 0)) {
                throw new IllegalArgumentException("rope theta must be positive, got " + theta);
            }
        }

        /** The scaling factor ({@code factor}), 1 when there is none. */
        public double factor() {
            return parameters == null ? 1.0 : parameters.getDouble("factor", 1.0);
        }
    }

    @Override
    public String toString() {
        return file + (prefix.isEmpty() ? "" : " (" + prefix.substring(0, prefix.length() - 1) + ")");
    }
}
