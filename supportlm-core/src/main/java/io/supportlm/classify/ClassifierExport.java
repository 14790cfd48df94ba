package io.supportlm.classify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.LoadedModel;
import io.supportlm.peft.Merge;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds a classifier's LoRA adapter into its base model and writes a plain Hugging Face
 * checkpoint: every base tensor, with {@code W + s·B·A} in place of each adapted weight, in f32.
 * After QLoRA the deltas are added to the ORIGINAL base weights from the checkpoint, never to the
 * 4-bit copy the adapter was trained against (merging into the dequantized copy loses quality).
 * The heads go along: one task as transformers' {@code classifier.weight/bias} with
 * {@code id2label} in config.json ({@code BertForSequenceClassification}); several as
 * {@code classifier.<task>.*} with {@code supportlm.json}.
 */
public final class ClassifierExport {
    private ClassifierExport() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What was merged. */
    public record Result(int mergedLayers, int tensors, Path out) {}

    public static Result merge(Path adapterDir, String model, Path out) throws IOException {
        ClassifierCheckpoint.Meta meta = ClassifierCheckpoint.readMeta(adapterDir);
        if (meta.method().equals("prompt")) {
            throw new IllegalArgumentException(adapterDir + ": a prompt-tuned adapter changes no weight of the base model, "
                    + "there is nothing to merge; serve or evaluate the adapter directory itself");
        }
        try (LoadedModel base = LoadedModel.open(model != null ? model : meta.baseModel())) {
            // The original layers, before the adapter (and, for QLoRA, quantization) replace them.
            Map<String, FrozenLinear> originals = new LinkedHashMap<>();
            for (Map.Entry<String, LinearLayer> e : base.backbone().linearLayers().entrySet()) {
                if (e.getValue() instanceof FrozenLinear f) {
                    originals.put(e.getKey(), f);
                }
            }
            ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(adapterDir, base.backbone());
            Map<String, FrozenLinear> merged = Merge.intoOriginals(loaded.lora(), originals);

            String prefix = base.weights().contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
            Map<String, String> replaced = new LinkedHashMap<>();
            for (String module : merged.keySet()) {
                String name = prefix + module + ".weight";
                if (!base.weights().contains(name)) {
                    throw new IllegalArgumentException(base.directory().dir() + ": no tensor '" + name + "' to merge into");
                }
                replaced.put(name, module);
            }
            Files.createDirectories(out);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("merged_adapter", adapterDir.toAbsolutePath().toString());
            int tensors = Merge.writeWithMerged(w, base.weights(), replaced, merged);
            List<MultiTaskClassifier.Head> heads = loaded.classifier().heads();
            int C = base.backbone().hiddenSize();
            boolean single = heads.size() == 1;
            for (MultiTaskClassifier.Head h : heads) {
                String name = "classifier" + (single ? "" : "." + h.task().name());
                w.add(name + ".weight", h.weight(), h.task().numLabels(), C);
                w.add(name + ".bias", h.bias(), h.task().numLabels());
                tensors += 2;
            }
            w.write(out.resolve("model.safetensors"));

            ObjectNode config = (ObjectNode) base.directory().config().raw().deepCopy();
            if (single) {
                ClassificationTask task = heads.get(0).task();
                if (meta.modelType().equals("bert")) {
                    config.putArray("architectures").add(prefix.isEmpty() ? "BertModel" : "BertForSequenceClassification");
                }
                ObjectNode id2label = config.putObject("id2label");
                ObjectNode label2id = config.putObject("label2id");
                for (int i = 0; i < task.numLabels(); i++) {
                    id2label.put(String.valueOf(i), task.labels().get(i));
                    label2id.put(task.labels().get(i), i);
                }
                config.put("problem_type", "single_label_classification");
            }
            JSON.writeValue(out.resolve("config.json").toFile(), config);
            for (String file : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                    "modules.json", "SOURCE.md")) {
                Path f = base.directory().dir().resolve(file);
                if (Files.isRegularFile(f)) {
                    Files.copy(f, out.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path pooling = base.directory().dir().resolve("1_Pooling/config.json");
            if (Files.isRegularFile(pooling)) {
                Files.createDirectories(out.resolve("1_Pooling"));
                Files.copy(pooling, out.resolve("1_Pooling/config.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.copy(adapterDir.resolve(ClassifierCheckpoint.SUPPORTLM_JSON), out.resolve(ClassifierCheckpoint.SUPPORTLM_JSON),
                    StandardCopyOption.REPLACE_EXISTING);
            return new Result(merged.size(), tensors, out);
        }
    }
}
