package io.supportlm.sft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.init.ModelInit;
import io.supportlm.sft.ChatMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatFormatTest {
    @TempDir
    Path dir;

    @Test
    void templateSyntaxInsideMessagesIsPrintedVerbatim() {
        // Bitext replies hold placeholders such as {{Order Number}}; a template engine must print them, not evaluate them
        try (var m = SftFixtures.smolLm2(dir)) {
            String reply = "Your order {{Order Number}} ships {% if x %}soon{% endif %}.";
            String text = ChatFormat.template(m.template()).render(List.of(new ChatMessage("user", "{{ 1 + 1 }}"),
                    new ChatMessage("assistant", reply)), false);
            assertTrue(text.endsWith("<|im_start|>user\n{{ 1 + 1 }}<|im_end|>\n<|im_start|>assistant\n" + reply + "<|im_end|>\n"), text);
        }
    }

    @Test
    void aModelWithoutChatTemplateGetsThePlainFormat() throws IOException {
        Path model = dir.resolve("base");
        ModelInit.write("llama", "tiny", 3, model);
        ModelDirectory withTemplate = ModelDirectory.of(model);
        try (HfTokenizer tokenizer = withTemplate.tokenizer()) {
            assertInstanceOf(ChatFormat.Template.class, ChatFormat.forModel(withTemplate, tokenizer));
        }
        Path config = model.resolve("tokenizer_config.json");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(config.toFile());
        tree.remove("chat_template"); // a base model
        json.writeValue(config.toFile(), tree);
        ModelDirectory base = ModelDirectory.of(model);
        try (HfTokenizer tokenizer = base.tokenizer()) {
            ChatFormat format = ChatFormat.forModel(base, tokenizer);
            assertEquals(new ChatFormat.Plain("<|endoftext|>", "<|im_end|>"), format);
            assertEquals("<|endoftext|>User: hi\nAssistant:", format.render(List.of(new ChatMessage("user", "hi")), true));
        }
    }

    @Test
    void thePlainFormatNeedsAnEosToken() {
        HfTokenizer t = SftFixtures.tokenizer(dir, List.of("<x>"), Map.of());
        try (t) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatFormat.plain(t));
            assertTrue(e.getMessage().contains("needs an EOS token"), e.getMessage());
        }
    }
}
