package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.init.ModelInit;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {
    @TempDir
    Path dir;

    static final String TOKENIZER = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"[PAD]": 0, "[UNK]": 1, "hello": 2, "order": 3}, "unk_token": "[UNK]"}}
            """;

    private Path tinyBert() throws IOException {
        Path m = Files.createDirectories(dir.resolve("tiny-bert"));
        BertConfig c = new BertConfig(8, 8, 1, 2, 16, 32, 2, 1e-12f, BertConfig.Activation.GELU, 0f, 0);
        Files.writeString(m.resolve("config.json"), """
                {"model_type": "bert", "vocab_size": 8, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                 "intermediate_size": 16, "max_position_embeddings": 32, "pad_token_id": 0}""");
        SafetensorsWriter w = new SafetensorsWriter();
        BertInit.random(c, 3).asMap().forEach(w::add);
        w.write(m.resolve("model.safetensors"));
        Files.writeString(m.resolve("tokenizer.json"), TOKENIZER);
        Files.writeString(m.resolve("tokenizer_config.json"), "{\"pad_token\": \"[PAD]\"}");
        return m;
    }

    private static ServeCommand parse(String... args) {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs(args);
        cmd.env = Map.of();
        return cmd;
    }

    @Test
    void servesTheBaseModelWithKeysFromFileAndEnvironment() throws Exception {
        Path keys = Files.writeString(dir.resolve("keys.txt"), "# team keys\nfile-key\n\n");
        ServeCommand cmd = parse("--model", tinyBert().toString(), "--port", "0", "--api-key-file", keys.toString());
        cmd.env = Map.of(ServeCommand.KEYS_ENV, "env-key-1, env-key-2");
        assertEquals(Set.of("file-key", "env-key-1", "env-key-2"), cmd.apiKeys());
        try (ServeCommand.Running running = cmd.start()) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + running.server().port();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                    .header("Authorization", "Bearer env-key-2").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, models.statusCode(), models.body());
            assertTrue(models.body().contains("\"id\":\"tiny-bert\""), models.body());
            HttpResponse<String> classify = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/classify"))
                    .header("Authorization", "Bearer file-key").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"hello\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, classify.statusCode());
            assertTrue(classify.body().contains("none of the served models has classification heads"), classify.body());
            assertEquals(401, client.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void servesAnEnsembleOfClassifiersAsOneModel() throws Exception {
        Path bert = dir.resolve("bert");
        ModelInit.write("bert", "tiny", 3, bert);
        java.util.List<io.supportlm.data.SupportRecord> tickets = new io.supportlm.data.synth.SyntheticTickets(
                io.supportlm.data.synth.SynthConfig.defaults(40, 5)).generate();
        io.supportlm.data.Jsonl.write(dir.resolve("train.jsonl"), tickets);
        java.util.List<Path> adapters = ClassifierCliTest.trainSeeds(bert, dir.resolve("train.jsonl"), "[queue]", dir.resolve("runs"), 42, 43);
        String members = adapters.get(0) + "," + adapters.get(1);
        try (ServeCommand.Running running = parse("--model", bert.toString(), "--port", "0", "--ensemble", "queue-ensemble=" + members).start()) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + running.server().port();
            HttpResponse<String> classify = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/classify"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\": \"queue-ensemble\", \"text\": \"I was charged twice\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, classify.statusCode(), classify.body());
            assertTrue(classify.body().contains("\"queue\""), classify.body());
        }
        assertEquals(2, Main.run("serve", "--model", bert.toString(), "--port", "0", "--ensemble", "one=" + adapters.get(0)));
        Path llama = Files.createDirectories(dir.resolve("tiny-llama"));
        ModelInit.write("llama", "tiny", 5, llama);
        assertEquals(2, Main.run("serve", "--model", llama.toString(), "--port", "0", "--ensemble", "e=" + members));
    }

    @Test
    void servesADecoderDirectoryForChat() throws Exception {
        Path llama = Files.createDirectories(dir.resolve("tiny-llama"));
        ModelInit.write("llama", "tiny", 5, llama);
        ServeCommand cmd = parse("--model", llama.toString(), "--port", "0", "--generation-slots", "1", "--generation-queue", "0");
        try (ServeCommand.Running running = cmd.start()) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + running.server().port();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(models.body().contains("\"id\":\"tiny-llama\"") && models.body().contains("\"generate\""), models.body());
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\": \"tiny-llama\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 4}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());
            assertTrue(chat.body().contains("\"object\":\"chat.completion\""), chat.body());
        }
        assertEquals(2, Main.run("serve", "--model", llama.toString(), "--port", "0", "--adapter", "a=" + dir));
    }

    @Test
    void badArgumentsAreUsageErrors() throws IOException {
        assertEquals(2, Main.run("serve", "--model", dir.resolve("missing").toString(), "--port", "0"));
        Path model = tinyBert();
        assertEquals(2, Main.run("serve", "--model", model.toString(), "--port", "0", "--adapter", "../evil=" + dir));
        assertEquals(2, Main.run("serve", "--model", model.toString(), "--port", "0", "--adapter", "ok=" + dir.resolve("none")));
        Path emptyKeys = Files.writeString(dir.resolve("empty.txt"), "# nothing\n");
        assertThrows(IllegalArgumentException.class, () -> parse("--model", model.toString(), "--api-key-file", emptyKeys.toString()).apiKeys());
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "redact_pii: [emails]\n");
        assertEquals(2, Main.run("serve", "--model", model.toString(), "--port", "0", "--policy", policy.toString()));
    }
}
