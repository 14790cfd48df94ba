package io.supportlm.cli;

import io.supportlm.eval.reply.DecoderResponder;
import io.supportlm.eval.reply.Responder;
import io.supportlm.generate.GenerationConfig;
import io.supportlm.model.hf.ChatTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The chat loop: each input line is a user turn (or a command), the reply streams out token by
 * token, and the conversation is kept and rendered with the model's chat template for the next
 * turn. When the conversation no longer fits the model's context, the oldest turns are dropped.
 * Commands: {@code /reset}, {@code /system [TEXT]}, {@code /params [key=value…]} (temperature,
 * top_p, max_new_tokens, seed), {@code /help}, {@code /exit} (end of input exits too).
 */
final class ChatRepl {
    /** Sampling settings; temperature 0 means greedy. */
    record Params(double temperature, double topP, int maxNewTokens, long seed) {
        Params {
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
            }
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
            }
        }

        GenerationConfig config() {
            return temperature == 0 ? GenerationConfig.greedy(maxNewTokens).withSeed(seed)
                    : GenerationConfig.sampling(maxNewTokens, (float) temperature, 0, (float) topP, seed);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "temperature=%s top_p=%s max_new_tokens=%d seed=%d", num(temperature), num(topP), maxNewTokens, seed);
        }

        private static String num(double v) {
            return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
        }

        /** These settings with {@code key=value} pairs applied; unknown keys and bad values are errors. */
        Params with(String assignments) {
            Params p = this;
            for (String pair : assignments.strip().split("\\s+")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("expected key=value, got '" + pair + "'");
                }
                String key = pair.substring(0, eq);
                String value = pair.substring(eq + 1);
                try {
                    p = switch (key) {
                        case "temperature" -> new Params(Double.parseDouble(value), p.topP, p.maxNewTokens, p.seed);
                        case "top_p" -> new Params(p.temperature, Double.parseDouble(value), p.maxNewTokens, p.seed);
                        case "max_new_tokens" -> new Params(p.temperature, p.topP, Integer.parseInt(value), p.seed);
                        case "seed" -> new Params(p.temperature, p.topP, p.maxNewTokens, Long.parseLong(value));
                        default -> throw new IllegalArgumentException("unknown parameter '" + key
                                + "' (temperature, top_p, max_new_tokens, seed)");
                    };
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(key + ": '" + value + "' is not a number");
                }
            }
            return p;
        }
    }

    private final DecoderResponder responder;
    private final List<Integer> stopTokenIds;
    private final BufferedReader in;
    private final PrintStream out;
    private final boolean interactive;
    private final List<ChatTemplate.Message> turns = new ArrayList<>();
    private String system;
    private Params params;

    ChatRepl(DecoderResponder responder, List<Integer> stopTokenIds, BufferedReader in, PrintStream out, boolean interactive,
             String system, Params params) {
        this.responder = responder;
        this.stopTokenIds = List.copyOf(stopTokenIds);
        this.in = in;
        this.out = out;
        this.interactive = interactive;
        this.system = system;
        this.params = params;
    }

    /** Runs until {@code /exit} or the end of input. */
    void run() throws IOException {
        if (interactive) {
            out.println("Chat with the model. Commands: /reset, /system TEXT, /params [key=value…], /help, /exit.");
        }
        while (true) {
            if (interactive) {
                out.print("> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null) {
                return;
            }
            String text = line.strip();
            if (text.isEmpty()) {
                continue;
            }
            if (text.startsWith("/")) {
                if (!command(text)) {
                    return;
                }
                continue;
            }
            reply(text);
        }
    }

    /** Handles a command; false to exit. */
    private boolean command(String text) {
        int space = text.indexOf(' ');
        String name = space < 0 ? text : text.substring(0, space);
        String arg = space < 0 ? "" : text.substring(space + 1).strip();
        switch (name) {
            case "/exit", "/quit" -> {
                return false;
            }
            case "/reset" -> {
                turns.clear();
                out.println("(conversation cleared)");
            }
            case "/system" -> {
                system = arg.isEmpty() ? null : arg;
                out.println(system == null ? "(system prompt removed)" : "(system prompt set)");
            }
            case "/params" -> {
                if (!arg.isEmpty()) {
                    try {
                        params = params.with(arg);
                    } catch (IllegalArgumentException e) {
                        out.println("(error: " + e.getMessage() + ")");
                        return true;
                    }
                }
                out.println("(" + params + ")");
            }
            case "/help" -> out.println("(/reset clears the conversation; /system TEXT sets the system prompt, /system alone removes it; "
                    + "/params shows the settings, /params key=value… changes temperature, top_p, max_new_tokens, seed; /exit quits)");
            default -> out.println("(unknown command " + name + "; /help lists them)");
        }
        return true;
    }

    private void reply(String userText) {
        turns.add(ChatTemplate.Message.user(userText));
        List<ChatTemplate.Message> conversation = fitContext();
        if (conversation == null) {
            turns.removeLast();
            out.println("(error: this message alone does not fit the model's context of " + responder.contextLength() + " tokens)");
            return;
        }
        Responder.Answer answer = responder.generate(conversation, params.config().withStopTokens(stopTokenIds), (token, delta) -> {
            out.print(delta);
            out.flush();
            return true;
        });
        out.println();
        turns.add(ChatTemplate.Message.assistant(answer.text()));
        if (answer.truncated()) {
            out.println("(reply cut at max_new_tokens=" + params.maxNewTokens() + ")");
        }
    }

    /** The messages to send, oldest turns dropped until the prompt leaves room to answer; null if even the last message does not fit. */
    private List<ChatTemplate.Message> fitContext() {
        int dropped = 0;
        while (true) {
            var messages = new ArrayList<ChatTemplate.Message>();
            if (system != null) {
                messages.add(ChatTemplate.Message.system(system));
            }
            messages.addAll(turns);
            if (responder.promptTokens(messages) < responder.contextLength()) {
                if (dropped > 0) {
                    out.println("(dropped " + dropped + " earlier message(s) to fit the model's context)");
                }
                return messages;
            }
            if (turns.size() <= 1) {
                return null;
            }
            turns.removeFirst();
            dropped++;
        }
    }
}
