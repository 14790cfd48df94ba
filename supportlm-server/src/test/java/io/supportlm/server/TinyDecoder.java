package io.supportlm.server;

import io.supportlm.generate.GenerationConfig;
import io.supportlm.generate.Generator;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.init.ModelInit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A random tiny llama written by {@link ModelInit} (real byte-level BPE tokenizer, ChatML template,
 * EOS {@code <|im_end|>}), once per test JVM, plus the in-process reference: what {@link Generator}
 * produces for a prompt when called directly, which the server must reproduce over HTTP.
 */
final class TinyDecoder {
    static final String NAME = "tiny-llama";
    private static Path dir;
    private static Reference reference;

    private TinyDecoder() {}

    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("supportlm-tiny-llama");
                ModelInit.write("llama", "tiny", 7, dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    /** Loads the model for serving (as {@code serve --model DIR} does). */
    static LoadedModels load() {
        return LoadedModels.load(dir(), NAME, java.util.Map.of(), (d, b) -> {
            throw new AssertionError("no adapters");
        }, 8, 512);
    }

    static synchronized Reference reference() {
        if (reference == null) {
            ModelDirectory d = ModelDirectory.of(dir());
            DecoderModel model = DecoderModels.load(d, d.weights()); // mapped for the JVM's life
            reference = new Reference(model, d.tokenizer(), d.chatTemplate());
        }
        return reference;
    }

    /** Generation called in-process, without the server. */
    record Reference(DecoderModel model, HfTokenizer tokenizer, ChatTemplate template) {
        int[] chatIds(String userMessage) {
            return tokenizer.encode(template.render(List.of(ChatTemplate.Message.user(userMessage)), true), false).ids();
        }

        int[] promptIds(String prompt) {
            return tokenizer.encode(prompt, true).ids();
        }

        io.supportlm.generate.Generation greedy(int[] ids, int maxNewTokens, List<String> stop) {
            List<Integer> eos = new ArrayList<>(model.config().eosTokenIds());
            tokenizer.eosId().ifPresent(id -> {
                if (!eos.contains(id)) {
                    eos.add(id);
                }
            });
            GenerationConfig config = GenerationConfig.greedy(maxNewTokens).withStopTokens(eos).withStopStrings(stop);
            return new Generator(model).generate(ids, config, t -> tokenizer.decode(t, true), null);
        }
    }

    /**
     * A real generator slowed to {@code millisPerToken}, counting the tokens it generates: lets
     * tests hold a generation slot, or watch generation stop after a client disconnects.
     */
    record Paced(TextGenerator inner, long millisPerToken, AtomicInteger tokens) implements TextGenerator {
        @Override
        public Result generate(Request request, TokenSink sink, Cancellation cancellation) {
            return inner.generate(request, sink, () -> {
                tokens.incrementAndGet();
                try {
                    Thread.sleep(millisPerToken);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return true;
                }
                return cancellation.cancelled();
            });
        }

        @Override
        public String chatPrompt(List<ChatTemplate.Message> messages) {
            return inner.chatPrompt(messages);
        }
    }
}
