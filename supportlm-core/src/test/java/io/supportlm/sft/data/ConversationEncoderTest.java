package io.supportlm.sft.data;

import static io.supportlm.sft.data.SftFixtures.labelledRuns;
import static io.supportlm.sft.data.SftFixtures.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.SftExample;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConversationEncoderTest {
    @TempDir
    Path dir;

    static final List<ChatMessage> TWO_EXCHANGES = List.of(
            new ChatMessage("user", "Where is my order #123?"),
            new ChatMessage("assistant", "It ships today."),
            new ChatMessage("user", "Thanks!"),
            new ChatMessage("assistant", "You're welcome."));

    private static void assertLabelsAreIdsOrIgnored(SftExample e) {
        for (int t = 0; t < e.length(); t++) {
            assertTrue(e.labels()[t] == SftExample.IGNORE || e.labels()[t] == e.ids()[t], "position " + t);
        }
        assertEquals(SftExample.IGNORE, e.labels()[0], "the first token is never a target");
    }

    @Test
    void smolLm2LabelsExactlyEachReplyAndItsImEnd() {
        try (var m = SftFixtures.smolLm2(dir)) {
            ConversationEncoder.Encoded enc = m.encoder().encode(Conversation.of("t:1", TWO_EXCHANGES));
            SftExample e = enc.example();
            assertEquals(List.of("It ships today.<|im_end|>", "You're welcome.<|im_end|>"), labelledRuns(m.tokenizer(), e));
            assertLabelsAreIdsOrIgnored(e);
            // the ids are the template's rendering, its default system prompt included, without the final newline
            String rendered = m.template().render(TWO_EXCHANGES.stream().map(x -> new ChatTemplate.Message(x.role(), x.content())).toList(), false);
            assertTrue(rendered.startsWith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"), rendered);
            assertEquals(rendered.substring(0, rendered.length() - 1), text(m.tokenizer(), e.ids()));
            String prompt = text(m.tokenizer(), java.util.Arrays.copyOf(e.ids(), enc.promptLength()));
            assertTrue(prompt.endsWith("<|im_start|>user\nThanks!<|im_end|>\n<|im_start|>assistant\n"), prompt);
            assertEquals("It ships today.".length() + 1 + "You're welcome.".length() + 1, e.trainableTokens(),
                    "byte-level: one token per ASCII character, <|im_end|> one token");
        }
    }

    @Test
    void qwenTemplateLabelsRepliesAfterItsDefaultSystemPrompt() {
        try (var m = SftFixtures.qwen25(dir)) {
            SftExample e = m.encoder().encode(Conversation.of("t:1", TWO_EXCHANGES)).example();
            assertEquals(List.of("It ships today.<|im_end|>", "You're welcome.<|im_end|>"), labelledRuns(m.tokenizer(), e));
            assertTrue(text(m.tokenizer(), e.ids()).startsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud."));
        }
    }

    @Test
    void gemmaLabelsTheReplyAndEndOfTurnWhenEndOfTurnStopsGeneration() {
        try (var m = SftFixtures.gemma3(dir)) {
            List<ChatMessage> chat = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"),
                    new ChatMessage("assistant", "  Hello! "));
            SftExample e = m.encoder(List.of("<end_of_turn>")).encode(Conversation.of("t:1", chat)).example();
            assertEquals(List.of("Hello!<end_of_turn>"), labelledRuns(m.tokenizer(), e), "Gemma's template trims the content");
            assertEquals("<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>",
                    text(m.tokenizer(), e.ids()));
        }
    }

    /** Llama-2-chat's template, as its tokenizer_config.json has it: the reply is followed by EOS, no header. */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}"
            + "{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    @Test
    void llama2StyleTemplatesLabelTheReplyAndTheEosItWrites() {
        Map<String, String> tokens = Map.of("bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>");
        try (HfTokenizer t = SftFixtures.tokenizer(dir, List.of("<unk>", "<s>", "</s>"), tokens)) {
            ConversationEncoder enc = new ConversationEncoder(ChatFormat.template(ChatTemplate.of(LLAMA2, tokens)), t, List.of(), List.of());
            List<ChatMessage> chat = new java.util.ArrayList<>(List.of(new ChatMessage("system", "Be brief.")));
            chat.addAll(TWO_EXCHANGES);
            SftExample e = enc.encode(Conversation.of("t:1", chat)).example();
            assertEquals(List.of(" It ships today. </s>", " You're welcome. </s>"), labelledRuns(t, e));
            assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhere is my order #123? [/INST] It ships today. </s>"
                    + "<s>[INST] Thanks! [/INST] You're welcome. </s>", text(t, e.ids()));
        }
    }

    @Test
    void withoutAStopTokenInTheReplyTheEosIsAppendedAndLabelled() {
        // Gemma's template ends a turn with <end_of_turn>, not the tokenizer's EOS <eos>; if the model is not
        // known to stop on <end_of_turn>, it must learn to write <eos> or it would never stop.
        try (var m = SftFixtures.gemma3(dir)) {
            SftExample e = m.encoder().encode(Conversation.of("t:1", TWO_EXCHANGES)).example();
            assertEquals(List.of("It ships today.<end_of_turn>\n<eos>", "You're welcome.<end_of_turn>\n<eos>"),
                    labelledRuns(m.tokenizer(), e));
            int eos = m.tokenizer().eosId().getAsInt();
            assertEquals(eos, e.ids()[e.length() - 1]);
            assertEquals(eos, e.labels()[e.length() - 1]);
            assertLabelsAreIdsOrIgnored(e);
        }
    }

    @Test
    void aTemplateThatWritesNoEosGetsItAfterEveryTrainedReply() {
        String bare = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
        try (var m = SftFixtures.smolLm2(dir)) {
            ConversationEncoder enc = new ConversationEncoder(ChatFormat.template(ChatTemplate.of(bare, Map.of())), m.tokenizer(),
                    List.of(), List.of());
            SftExample e = enc.encode(Conversation.of("t:1", TWO_EXCHANGES)).example();
            assertEquals(List.of(" It ships today.\n<|im_end|>", " You're welcome.\n<|im_end|>"), labelledRuns(m.tokenizer(), e));
            assertEquals("user: Where is my order #123?\nassistant: It ships today.\n<|im_end|>user: Thanks!\nassistant: You're welcome.\n<|im_end|>",
                    text(m.tokenizer(), e.ids()));
        }
    }

    @Test
    void thePlainFormatForBaseModelsEndsEachReplyWithEos() {
        try (var m = SftFixtures.smolLm2(dir)) {
            ConversationEncoder enc = new ConversationEncoder(ChatFormat.plain(m.tokenizer()), m.tokenizer(), List.of(), List.of());
            List<ChatMessage> chat = List.of(new ChatMessage("system", "Be kind."), TWO_EXCHANGES.get(0), TWO_EXCHANGES.get(1));
            SftExample e = enc.encode(Conversation.of("t:1", chat)).example();
            assertEquals("<|im_start|>System: Be kind.\nUser: Where is my order #123?\nAssistant: It ships today.<|im_end|>",
                    text(m.tokenizer(), e.ids()), "BOS, one message a line, the reply closed by EOS");
            assertEquals(List.of(" It ships today.<|im_end|>"), labelledRuns(m.tokenizer(), e));
            assertEquals("<|im_start|>System: Be kind.\nUser: Where is my order #123?\nAssistant:",
                    enc.format().render(chat.subList(0, 2), true));
        }
    }

    @Test
    void contextTurnsBeforeTrainFromAreNotLabelled() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftExample e = m.encoder().encode(new Conversation("t:1", TWO_EXCHANGES, 3)).example();
            assertEquals(List.of("You're welcome.<|im_end|>"), labelledRuns(m.tokenizer(), e));
        }
    }

    @Test
    void aTemplateThatIsNotPrefixStableIsRejectedWithTheFirstDifferingToken() {
        // renders the final assistant turn differently from the same turn followed by more messages
        String unstable = "{% for m in messages %}<|im_start|>{{ m.role }}\n{% if loop.last and m.role == 'assistant' %}[final] {% endif %}"
                + "{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
        try (var m = SftFixtures.smolLm2(dir)) {
            ConversationEncoder enc = new ConversationEncoder(ChatFormat.template(ChatTemplate.of(unstable, Map.of())), m.tokenizer(),
                    List.of(), List.of());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> enc.encode(Conversation.of("data.jsonl:7", TWO_EXCHANGES)));
            assertTrue(e.getMessage().startsWith("data.jsonl:7: messages[1] (assistant): the model's chat template is not prefix-stable"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("differ at token"), e.getMessage());
            assertTrue(e.getMessage().contains("[[]") && e.getMessage().contains("[I]"), "shows the differing tokens: " + e.getMessage());
        }
    }

    @Test
    void templateErrorsNameTheRecord() {
        try (var m = SftFixtures.gemma3(dir)) {
            List<ChatMessage> notAlternating = List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b"),
                    new ChatMessage("assistant", "c"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.encoder().encode(Conversation.of("data.jsonl:3", notAlternating)));
            assertTrue(e.getMessage().startsWith("data.jsonl:3: chat template raised: Conversation roles must alternate"), e.getMessage());
        }
    }

    @Test
    void aTokenizerWithoutEosAndNoStopTokensIsRejected() {
        HfTokenizer t = SftFixtures.tokenizer(dir, List.of("<|im_start|>", "<|im_end|>"), Map.of());
        try (t) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ConversationEncoder(ChatFormat.template(ChatTemplate.of("x", Map.of())), t, List.of(), List.of()));
            assertTrue(e.getMessage().contains("no EOS token") && e.getMessage().contains("never stop"), e.getMessage());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> new ConversationEncoder(ChatFormat.template(ChatTemplate.of("x", Map.of())), t, List.of(), List.of("<eot> x")));
            assertTrue(bad.getMessage().startsWith("stop_tokens: '<eot> x' is not one token"), bad.getMessage());
            ConversationEncoder ok = new ConversationEncoder(ChatFormat.template(ChatTemplate.of("x", Map.of())), t, List.of(),
                    List.of("<|im_end|>"));
            assertEquals(java.util.Set.of(257), ok.stopIds());
        }
    }
}
