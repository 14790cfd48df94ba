package io.supportlm.peft;

import java.util.List;
import java.util.regex.Pattern;

/**
 * LoRA hyper-parameters, as PEFT's {@code LoraConfig} names them.
 *
 * @param r rank of the update (default 8)
 * @param alpha scaling numerator, {@code lora_alpha} (default 16)
 * @param dropout dropout on the adapter's input during training, {@code lora_dropout} (default 0.1)
 * @param targetModules module-name suffixes ({@code query}, {@code v_proj}), or one regular expression
 *     matched against the full name when {@code targetRegex} is set (PEFT's string form)
 * @param targetRegex whether {@code targetModules} holds a single full-match regular expression
 * @param useRslora scale by {@code alpha/√r} instead of {@code alpha/r}
 */
public record LoraConfig(int r, float alpha, float dropout, List<String> targetModules, boolean targetRegex,
                         boolean useRslora) {
    public LoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("lora r must be at least 1, got " + r);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora alpha must be positive, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora target_modules must name at least one module");
        }
        targetModules = List.copyOf(targetModules);
        if (targetRegex && targetModules.size() != 1) {
            throw new IllegalArgumentException("a regular-expression target_modules is a single string");
        }
    }

    /** Output projections that PEFT's "all-linear" never targets (they must be named to be adapted). */
    public static final java.util.Set<String> OUTPUT_LAYERS = java.util.Set.of("lm_head", "embed_out");

    /** The factor applied to {@code B·A}. */
    public float scale() {
        return useRslora ? (float) (alpha / Math.sqrt(r)) : alpha / r;
    }

    /**
     * PEFT's matching rule: a list entry matches a module whose name equals it or ends with
     * {@code "." + entry}; a string is a regular expression that must match the whole name;
     * {@code all-linear} matches every linear layer but the output projection.
     */
    public boolean targets(String moduleName) {
        if (targetRegex) {
            return Pattern.matches(targetModules.get(0), moduleName);
        }
        for (String t : targetModules) {
            if (t.equals("all-linear") && !OUTPUT_LAYERS.contains(moduleName)) {
                return true;
            }
            if (moduleName.equals(t) || moduleName.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }
}
