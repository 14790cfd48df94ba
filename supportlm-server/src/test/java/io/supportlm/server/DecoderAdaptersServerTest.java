package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.generate.Generation;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.server.generate.LoraFiles;
import io.supportlm.server.policy.Policy;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several PEFT causal-LM LoRA adapters served over one tiny llama ({@code serve --model DIR
 * --adapter NAME=DIR …}): the request's {@code model} picks one; each answers what the base with
 * that adapter merged answers in process, the base answers as if no adapter were loaded, and
 * concurrent requests to different adapters do not disturb each other.
 */
class DecoderAdaptersServerTest {
    private static final int MAX_TOKENS = 16;
    private static Path adapters;
    private static LoadedModels loaded;
    private static SupportServer server;
    private static Http http;
    /** The in-process answer of each served model name: the base as is, each adapter merged into a copy of it. */
    private static final Map<String, DecoderModel> REFERENCE = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        adapters = Files.createTempDirectory("supportlm-decoder-adapters");
        DecoderModel base = TinyDecoder.reference().model();
        var a = LoraFiles.write(adapters.resolve("a"), base, List.of("q_proj", "v_proj"), 4, 8f, 1);
        var b = LoraFiles.write(adapters.resolve("b"), base, List.of("o_proj", "down_proj", "lm_head"), 2, 4f, 2);
        REFERENCE.put(TinyDecoder.NAME, base);
        REFERENCE.put("support-a", LoraFiles.merged(base, a));
        REFERENCE.put("support-b", LoraFiles.merged(base, b));
        Map<String, Path> served = new LinkedHashMap<>();
        served.put("support-a", adapters.resolve("a"));
        served.put("support-b", adapters.resolve("b"));
        loaded = LoadedModels.load(TinyDecoder.dir(), TinyDecoder.NAME, served, (d, bb) -> {
            throw new AssertionError("decoder adapters are read by the server, not by the classifier loader");
        }, 8, 512);
        server = new SupportServer(ServerConfig.defaults(), loaded.models(), Policy.none(), AccessLog.off(),
                new ConcurrencyLimit(4, 32)).start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.stop();
        loaded.close();
    }

    private static Generation expected(String model, String prompt) {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        return new TinyDecoder.Reference(REFERENCE.get(model), ref.tokenizer(), ref.template())
                .greedy(ref.promptIds(prompt), MAX_TOKENS, List.of());
    }

    private static String complete(String model, String prompt) {
        HttpResponse<String> r = http.post("/v1/completions", "{\"model\": \"" + model + "\", \"prompt\": \"" + prompt
                + "\", \"max_tokens\": " + MAX_TOKENS + ", \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c = Http.json(r);
        assertEquals(model, c.path("model").asText());
        return c.path("choices").get(0).path("text").asText();
    }

    @Test
    void modelsListsTheBaseAndEveryAdapterWithItsParent() {
        JsonNode data = Http.json(http.get("/v1/models")).path("data");
        assertEquals(3, data.size(), data.toString());
        assertEquals(TinyDecoder.NAME, data.get(0).path("id").asText());
        assertTrue(data.get(0).path("parent").isNull());
        for (int i = 1; i < 3; i++) {
            assertEquals(List.of("support-a", "support-b").get(i - 1), data.get(i).path("id").asText());
            assertEquals(TinyDecoder.NAME, data.get(i).path("parent").asText());
            assertEquals("[\"generate\"]", data.get(i).path("capabilities").toString());
        }
    }

    @Test
    void eachAdapterAnswersAsItsMergedModelAndTheBaseAsItself() {
        String prompt = "Dear support, my order";
        for (String model : REFERENCE.keySet()) {
            assertEquals(expected(model, prompt).text(), complete(model, prompt), model);
        }
        assertNotEquals(complete(TinyDecoder.NAME, prompt), complete("support-a", prompt), "adapter a changes the answer");
        assertNotEquals(complete(TinyDecoder.NAME, prompt), complete("support-b", prompt), "adapter b changes the answer");
    }

    @Test
    void chatCompletionsPickTheAdapterByModel() {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        Generation want = new TinyDecoder.Reference(REFERENCE.get("support-b"), ref.tokenizer(), ref.template())
                .greedy(ref.chatIds("Where is my refund?"), MAX_TOKENS, List.of());
        HttpResponse<String> r = http.post("/v1/chat/completions", "{\"model\": \"support-b\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"Where is my refund?\"}], \"max_tokens\": " + MAX_TOKENS + ", \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(want.text(), Http.json(r).path("choices").get(0).path("message").path("content").asText());
    }

    @Test
    void concurrentRequestsToDifferentAdaptersEachGetTheirOwnAnswer() throws Exception {
        List<String> prompts = List.of("Hello", "My card was charged twice", "Reset");
        record Call(String model, String prompt, Future<String> answer) {}
        List<Call> calls = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int round = 0; round < 2; round++) {
                for (String model : REFERENCE.keySet()) {
                    for (String prompt : prompts) {
                        calls.add(new Call(model, prompt, clients.submit(() -> complete(model, prompt))));
                    }
                }
            }
            for (Call c : calls) {
                assertEquals(expected(c.model(), c.prompt()).text(), c.answer().get(), c.model() + " / " + c.prompt());
            }
        }
    }

    @Test
    void anUnknownAdapterIs404AndAdapterDirectoriesAreCheckedAtStart() throws IOException {
        HttpResponse<String> r = http.post("/v1/completions", "{\"model\": \"support-c\", \"prompt\": \"Hi\", \"max_tokens\": 2}");
        assertEquals(404, r.statusCode(), r.body());
        assertTrue(r.body().contains("model 'support-c' is not served"), r.body());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> LoadedModels.load(TinyDecoder.dir(),
                TinyDecoder.NAME, Map.of("x", adapters.resolve("nope")), (d, b) -> null, 8, 512));
        assertTrue(missing.getMessage().contains("no such adapter directory (adapter 'x')"), missing.getMessage());
        Path classifier = Files.createDirectories(adapters.resolve("classifier"));
        Files.copy(adapters.resolve("a").resolve("adapter_model.safetensors"), classifier.resolve("adapter_model.safetensors"));
        Files.writeString(classifier.resolve("adapter_config.json"), Files.readString(adapters.resolve("a").resolve("adapter_config.json"))
                .replace("CAUSAL_LM", "SEQ_CLS"));
        IllegalArgumentException seqCls = assertThrows(IllegalArgumentException.class, () -> LoadedModels.load(TinyDecoder.dir(),
                TinyDecoder.NAME, Map.of("x", classifier), (d, b) -> null, 8, 512));
        assertTrue(seqCls.getMessage().contains("task_type is 'SEQ_CLS'; generation serves CAUSAL_LM adapters"), seqCls.getMessage());
    }
}
