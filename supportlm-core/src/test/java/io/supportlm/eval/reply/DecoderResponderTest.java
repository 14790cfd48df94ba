package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.init.ModelInit;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.sft.CausalLmAdapter;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.data.Conversation;
import io.supportlm.sft.data.ConversationEncoder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inference renders prompts exactly as training rendered the conversations it learned from. */
class DecoderResponderTest {
    @TempDir
    Path dir;

    /** A tiny decoder; without its ChatML template when {@code template} is false (a base model). */
    private Path model(String name, boolean template) throws Exception {
        Path m = dir.resolve(name);
        ModelInit.write("llama", "tiny", 1, m);
        if (!template) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(m.resolve("tokenizer_config.json").toFile());
            config.remove("chat_template");
            json.writeValue(m.resolve("tokenizer_config.json").toFile(), config);
        }
        return m;
    }

    @Test
    void thePromptIsTheTokenPrefixTrainingPutBeforeTheReplyWithOrWithoutAChatTemplate() throws Exception {
        for (boolean template : new boolean[] {true, false}) {
            Path m = model(template ? "chatml" : "plain", template);
            ModelDirectory md = ModelDirectory.of(m);
            try (HfTokenizer tokenizer = md.tokenizer(); ReplyModel reply = ReplyModel.open(m.toString(), null)) {
                assertEquals(template, reply.hasChatTemplate());
                Conversation c = Conversation.of("t", List.of(new ChatMessage("system", "Be brief."),
                        new ChatMessage("user", "Where is my parcel?"), new ChatMessage("assistant", "It ships today.")));
                ConversationEncoder.Encoded trained = ConversationEncoder.forModel(md, tokenizer, List.of()).encode(c);
                DecoderResponder responder = reply.responder("t", 8, "Be brief.");
                var messages = responder.messages("Where is my parcel?", null);
                assertArrayEquals(Arrays.copyOf(trained.example().ids(), trained.promptLength()), responder.promptIds(messages),
                        template ? "chat template" : "plain format");
                if (!template) {
                    assertEquals("<|endoftext|>System: Be brief.\nUser: Where is my parcel?\nAssistant:", responder.prompt(messages));
                }
            }
        }
    }

    @Test
    void anAdaptersSystemPromptAndStopIdsApplyAndItsChatFormatMustMatchTheBase() throws Exception {
        Path m = model("base", true);
        Path adapter = dir.resolve("adapter");
        Path plainAdapter = dir.resolve("plain-adapter");
        try (ReplyModel plain = ReplyModel.open(m.toString(), null)) {
            LoraAdapter lora = LoraAdapter.attach(new DecoderBackbone(plain.model()),
                    new LoraConfig(2, 4f, 0f, List.of("all-linear"), false, false), 3);
            CausalLmAdapter.save(adapter, lora, new CausalLmAdapter.Meta(m.toString(), "llama", "lora", 0, 128, true, "Be brief.",
                    List.of(257, 258)));
            CausalLmAdapter.save(plainAdapter, lora, new CausalLmAdapter.Meta(m.toString(), "llama", "lora", 0, 128, false, null,
                    List.of(258)));
        }
        try (ReplyModel tuned = ReplyModel.open(m.toString(), adapter)) {
            assertTrue(tuned.eosIds().containsAll(List.of(257, 258)), tuned.eosIds()::toString);
            assertEquals("Be brief.", tuned.trainedSystemPrompt());
            assertEquals("Be brief.", tuned.responder("t", 4, null).systemPrompt());
            assertEquals("Other.", tuned.responder("t", 4, "Other.").systemPrompt(), "an explicit system prompt wins");
            DecoderResponder r = tuned.responder("t", 4, null);
            assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                    r.prompt(r.messages("Hi", null)), "questions are asked as in training: after the trained system prompt");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> ReplyModel.open(m.toString(), plainAdapter));
        assertTrue(e.getMessage().contains("trained with the plain format (no chat template)"), e.getMessage());
    }
}
