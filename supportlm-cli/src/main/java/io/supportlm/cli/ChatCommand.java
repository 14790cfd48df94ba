package io.supportlm.cli;

import io.supportlm.eval.reply.ReplyModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm chat}: talk to a decoder (optionally with its adapter) in the terminal. */
@Command(name = "chat", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Chat with a model: each line you type is a user turn; the reply streams as it is generated and the "
                + "conversation is kept (rendered with the model's chat template).",
                "Commands: /reset, /system TEXT, /params [temperature=… top_p=… max_new_tokens=… seed=…], /help, /exit."})
final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Decoder model directory or org/name.")
    String model;

    @Option(names = "--adapter", description = "A causal-LM adapter to apply to the model.")
    Path adapter;

    @Option(names = "--system", description = "Initial system prompt (default: the one the adapter was trained with, else none).")
    String system;

    @Option(names = "--temperature", defaultValue = "0.7", description = "Sampling temperature; 0 = greedy.")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling threshold.")
    double topP;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Most tokens per reply.")
    int maxNewTokens;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (same seed and conversation, same reply).")
    long seed;

    @Override
    public Integer call() throws Exception {
        ChatRepl.Params params = new ChatRepl.Params(temperature, topP, maxNewTokens, seed);
        try (ReplyModel m = ReplyModel.open(model, adapter)) {
            if (!m.hasChatTemplate()) {
                System.err.println("supportlm chat: " + m.directory() + " has no chat template; turns are rendered in the plain "
                        + "format training uses (User: …/Assistant: …)");
            }
            var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            String initial = system != null ? system : m.trainedSystemPrompt(); // as the adapter was trained
            new ChatRepl(m.responder("chat", params.config(), null), m.eosIds(), in, out, System.console() != null, initial, params).run();
        }
        return 0;
    }
}
