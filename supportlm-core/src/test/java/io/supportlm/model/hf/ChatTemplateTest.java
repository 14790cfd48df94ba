package io.supportlm.model.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real chat templates (SmolLM2-Instruct, Qwen2.5-Instruct, Qwen3, Llama-3-Instruct, Llama-3.2-Instruct, gemma-3-it; sources in
 * chat-templates/SOURCES.md) rendered over the conversations of cases.json must equal, character
 * for character, what Jinja2 renders with transformers' settings (expected/, written by
 * render_reference.py).
 */
class ChatTemplateTest {
    private static final String DIR = "/io/supportlm/model/hf/chat-templates/";

    @TempDir
    Path dir;

    private static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IOException("missing test resource " + DIR + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    record Case(boolean add_generation_prompt, List<String> templates, Map<String, Object> variables,
            List<Map<String, Object>> messages) {}

    record Spec(Map<String, Map<String, String>> special_tokens, String now, Map<String, Case> cases) {}

    private ChatTemplate load(String model, Map<String, String> tokens, Clock clock) throws IOException {
        ObjectNode config = JsonFiles.JSON.createObjectNode();
        config.put("chat_template", resource(model + ".jinja"));
        tokens.forEach(config::put);
        config.put("model_max_length", 131072);
        config.put("add_bos_token", true); // a boolean *_token field, present in Llama and Gemma configs
        Path file = Files.createDirectories(dir.resolve(model)).resolve("tokenizer_config.json");
        Files.writeString(file, JsonFiles.JSON.writeValueAsString(config));
        return ChatTemplate.fromTokenizerConfig(file).withClock(clock);
    }

    @TestFactory
    Stream<DynamicTest> realTemplatesRenderExactlyAsTransformers() throws IOException {
        Spec spec = JsonFiles.JSON.readValue(resource("cases.json"), new TypeReference<Spec>() {});
        Clock clock = Clock.fixed(LocalDateTime.parse(spec.now()).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        List<DynamicTest> tests = new ArrayList<>();
        for (var model : spec.special_tokens().entrySet()) {
            for (var c : spec.cases().entrySet()) {
                if (c.getValue().templates() != null && !c.getValue().templates().contains(model.getKey())) {
                    continue;
                }
                String name = model.getKey() + "__" + c.getKey();
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    String expected = resource("expected/" + name + ".txt");
                    ChatTemplate template = load(model.getKey(), model.getValue(), clock);
                    Case k = c.getValue();
                    Map<String, Object> variables = k.variables() == null ? Map.of() : k.variables();
                    if (expected.startsWith("RAISES: ")) {
                        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                                () -> template.renderMaps(k.messages(), k.add_generation_prompt(), variables));
                        assertTrue(e.getMessage().endsWith(expected.substring("RAISES: ".length())), e.getMessage());
                    } else {
                        assertEquals(expected, template.renderMaps(k.messages(), k.add_generation_prompt(), variables));
                    }
                }));
            }
        }
        assertEquals(35, tests.size(), "one test per file in expected/");
        return tests.stream();
    }

    @Test
    void rendersTypedMessagesAndChoosesANamedTemplate() throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        Files.writeString(file, """
                {"bos_token": {"content": "<s>"}, "eos_token": "</s>",
                 "chat_template": [{"name": "default", "template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}"},
                                   {"name": "rag", "template": "{{ messages | length }} {{ eos_token }}"}]}
                """);
        List<ChatTemplate.Message> chat = List.of(ChatTemplate.Message.user("hi"), ChatTemplate.Message.assistant("yo"));
        assertEquals("<s>[user] hi[assistant] yo", ChatTemplate.fromTokenizerConfig(file).render(chat, false));
        assertEquals("2 </s>", ChatTemplate.fromTokenizerConfig(file, "rag").render(chat, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromTokenizerConfig(file, "tool_use"));
        assertTrue(e.getMessage().contains("no chat template named 'tool_use' (has [default, rag])"), e.getMessage());
    }

    @Test
    void aConfigWithoutTemplateIsAClearError() throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        Files.writeString(file, "{\"eos_token\": \"</s>\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromTokenizerConfig(file));
        assertTrue(e.getMessage().contains("tokenizer_config.json: no 'chat_template'"), e.getMessage());
    }

    private static String render(String template, Map<String, Object> variables) {
        return ChatTemplate.of(template, Map.of()).renderMaps(List.of(Map.of("role", "user", "content", " A-b c ")), false, variables);
    }

    @Test
    void pythonStringAndDictMethodsBehaveAsInPython() {
        assertEquals("yes|no|yes", render("{{ 'yes' if messages[0].content.startswith(' A') else 'no' }}|"
                + "{{ 'yes' if messages[0].content.endswith('x') else 'no' }}|{{ 'yes' if 'ab'.startswith(['x', 'a']) else 'no' }}", Map.of()));
        assertEquals("[A-b c]|[A-b c ]|[ A-b c]", render("[{{ messages[0].content.strip() }}]|[{{ messages[0].content.lstrip() }}]|"
                + "[{{ messages[0].content.rstrip() }}]", Map.of()));
        assertEquals("A-b", render("{{ messages[0].content.split()[0] }}", Map.of()));
        assertEquals("b c |3", render("{{ messages[0].content.split('-')[-1] }}|{{ ('a.b.c'.split('.')) | length }}", Map.of()));
        assertEquals("A-B C|a-b c|x, y", render("{{ messages[0].content.strip().upper() }}|{{ messages[0].content.strip().lower() }}|"
                + "{{ ', '.join(['x', 'y']) }}", Map.of()));
        assertEquals("fallback|user", render("{{ messages[0].get('tool_calls', 'fallback') }}|{{ messages[0].get('role') }}", Map.of()));
        assertEquals("k=v;", render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", Map.of("d", Map.of("k", "v"))));
    }

    @Test
    void toJsonMatchesPythonJsonDumps() {
        Map<String, Object> value = new java.util.LinkedHashMap<>();
        value.put("b", List.of(1, 2.5, true));
        value.put("a", "é\"\n");
        value.put("n", null);
        assertEquals("{\"b\": [1, 2.5, true], \"a\": \"é\\\"\\n\", \"n\": null}", render("{{ v | tojson }}", Map.of("v", value)));
        assertEquals("{\n  \"b\": [\n    1,\n    2.5,\n    true\n  ],\n  \"a\": \"é\\\"\\n\",\n  \"n\": null\n}",
                render("{{ v | tojson(indent=2) }}", Map.of("v", value)));
        assertEquals("1e-05 0.0001 1e+16 -0.0 100.0", PythonJson.pythonFloat(1e-5) + " " + PythonJson.pythonFloat(1e-4) + " "
                + PythonJson.pythonFloat(1e16) + " " + PythonJson.pythonFloat(-0.0) + " " + PythonJson.pythonFloat(100.0));
    }

    @Test
    void strftimeNowUsesPythonDirectives() {
        var t = LocalDateTime.parse("2025-03-05T14:07:09").atZone(ZoneOffset.UTC);
        assertEquals("05 Mar 2025, Wednesday March 14:07:09 PM 064 %", ChatTemplate.strftime(t, "%d %b %Y, %A %B %H:%M:%S %p %j %%"));
    }

    @Test
    void templateSyntaxErrorsAreReported() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{% for m in messages %}{{ m.role }}", Map.of()));
        assertTrue(e.getMessage().contains("chat template error"), e.getMessage());
    }
}
