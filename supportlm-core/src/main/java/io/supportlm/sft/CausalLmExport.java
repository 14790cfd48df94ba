package io.supportlm.sft;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.peft.Merge;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code export merge} for reply-generation adapters: folds a LoRA adapter into its decoder and
 * writes a plain Hugging Face checkpoint directory ({@code config.json}, {@code model.safetensors}
 * in f32 for the merged weights and the stored dtype for the rest, tokenizer and generation
 * files) that {@code LoadedModel.open} and any transformers-compatible tool read. After QLoRA the
 * deltas go into the ORIGINAL base weights, never into the 4-bit copy the adapter trained against
 * ({@link Merge}). An adapter on a tied LM head unties it: the merged head is written as
 * {@code lm_head.weight} and {@code tie_word_embeddings} becomes false.
 */
public final class CausalLmExport {
    private CausalLmExport() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> ROOTS = List.of("language_model.model.", "model.language_model.");

    /** What was merged. */
    public record Result(int mergedLayers, int tensors, Path out) {}

    /** Merges the adapter in {@code adapterDir} into {@code model} (null: the base it was trained on). */
    public static Result merge(Path adapterDir, String model, Path out) throws IOException {
        CausalLmAdapter.Meta meta = CausalLmAdapter.readMeta(adapterDir);
        if (meta.method().equals("prompt")) {
            throw new IllegalArgumentException(adapterDir + ": a prompt-tuned adapter changes no weight of the base model, "
                    + "there is nothing to merge; generate with the adapter directory itself");
        }
        try (LoadedModel base = LoadedModel.open(model != null ? model : meta.baseModel())) {
            if (!(base.backbone() instanceof DecoderBackbone decoder)) {
                throw new IllegalArgumentException(base.name() + ": a reply-generation adapter merges into a decoder, this is a "
                        + base.backbone().modelType() + " model");
            }
            CausalLmAdapter adapter = CausalLmAdapter.load(adapterDir, decoder.model());
            Map<String, FrozenLinear> merged = Merge.intoOriginals(adapter.lora(), adapter.originals());
            String head = io.supportlm.model.decoder.DecoderWeights.lmHeadName(decoder.model().config().family());
            boolean untie = merged.containsKey(head) && decoder.model().config().tiedEmbeddings();

            Map<String, String> replaced = new LinkedHashMap<>(); // tensor name in the checkpoint → module
            for (String name : base.weights().names()) {
                String module = moduleOf(name);
                if (module != null && merged.containsKey(module)) {
                    replaced.put(name, module);
                }
            }
            for (String module : merged.keySet()) {
                if (!replaced.containsValue(module) && !(untie && module.equals(head))) {
                    throw new IllegalArgumentException(base.directory().dir() + ": no tensor for module '" + module + "' to merge into");
                }
            }
            Files.createDirectories(out);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("merged_adapter", adapterDir.toAbsolutePath().toString());
            int tensors = Merge.writeWithMerged(w, base.weights(), replaced, merged);
            if (untie) {
                FrozenLinear m = merged.get(head);
                w.add(head + ".weight", m.weight().toFloatArray(), m.outFeatures(), m.inFeatures());
                tensors++;
            }
            w.write(out.resolve("model.safetensors"));

            ObjectNode config = (ObjectNode) base.directory().config().raw().deepCopy();
            if (untie) {
                config.put("tie_word_embeddings", false);
            }
            JSON.writeValue(out.resolve("config.json").toFile(), config);
            for (String file : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "generation_config.json", "chat_template.jinja", "SOURCE.md")) {
                Path f = base.directory().dir().resolve(file);
                if (Files.isRegularFile(f)) {
                    Files.copy(f, out.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return new Result(merged.size(), tensors, out);
        }
    }

    /** The module a {@code .weight} tensor belongs to, with Gemma 3's multimodal roots read as {@code model.}; else null. */
    static String moduleOf(String tensor) {
        if (!tensor.endsWith(".weight")) {
            return null;
        }
        String module = tensor.substring(0, tensor.length() - ".weight".length());
        for (String root : ROOTS) {
            if (module.startsWith(root)) {
                return "model." + module.substring(root.length());
            }
        }
        return module;
    }
}
