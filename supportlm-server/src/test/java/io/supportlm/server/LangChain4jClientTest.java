package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import io.supportlm.generate.Generation;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.server.policy.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI chat models (langchain4j-open-ai) against /v1/chat/completions on loopback, plain and streaming. */
class LangChain4jClientTest {
    private static LoadedModels loaded;
    private static SupportServer server;

    @BeforeAll
    static void start() {
        loaded = TinyDecoder.load();
        server = new SupportServer(ServerConfig.defaults(), loaded.models(), Policy.none(), AccessLog.off()).start();
    }

    @AfterAll
    static void stop() {
        server.stop();
        loaded.close();
    }

    private static String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    private static int[] chatIds(String system, String user) {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        String prompt = ref.template().render(List.of(ChatTemplate.Message.system(system), ChatTemplate.Message.user(user)), true);
        return ref.tokenizer().encode(prompt, false).ids();
    }

    private static FinishReason expectedFinish(Generation g) {
        return g.stopReason() == Generation.StopReason.STOP_TOKEN ? FinishReason.STOP : FinishReason.LENGTH;
    }

    @Test
    void chatModelAnswersWithTheInProcessGeneration() {
        int[] ids = chatIds("You are a support agent.", "My parcel never arrived");
        Generation expected = TinyDecoder.reference().greedy(ids, 20, List.of());
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName(TinyDecoder.NAME)
                .temperature(0.0).maxTokens(20).seed(5).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(SystemMessage.from("You are a support agent."), UserMessage.from("My parcel never arrived")).build());
        assertEquals(expected.text(), response.aiMessage().text());
        assertEquals(expectedFinish(expected), response.finishReason());
        assertEquals(ids.length, response.tokenUsage().inputTokenCount());
        assertEquals(expected.tokens().length, response.tokenUsage().outputTokenCount());
        assertEquals(TinyDecoder.NAME, response.modelName());
    }

    @Test
    void streamingChatModelDeliversTheSameTextInPieces() throws Exception {
        int[] ids = chatIds("You are a support agent.", "Cancel my subscription");
        Generation expected = TinyDecoder.reference().greedy(ids, 30, List.of());
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("unused")
                .modelName(TinyDecoder.NAME).temperature(0.0).maxTokens(30).seed(5).timeout(Duration.ofSeconds(30)).build();
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(ChatRequest.builder().messages(SystemMessage.from("You are a support agent."), UserMessage.from("Cancel my subscription"))
                .build(), new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String partial) {
                        pieces.add(partial);
                    }

                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        done.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertEquals(expected.text(), String.join("", pieces));
        assertEquals(expected.text(), response.aiMessage().text());
        assertTrue(pieces.size() > 2, "the answer came in several pieces: " + pieces);
        assertEquals(expectedFinish(expected), response.finishReason());
        assertEquals(expected.tokens().length, response.tokenUsage().outputTokenCount());
    }
}
