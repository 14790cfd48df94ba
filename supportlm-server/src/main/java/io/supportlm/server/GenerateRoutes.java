package io.supportlm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.supportlm.data.pii.PiiKind;
import io.supportlm.data.pii.Redaction;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.server.policy.Policy;
import io.supportlm.server.policy.PolicyOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/generate}, {@code /v1/completions} and {@code /v1/chat/completions}: validate
 * strictly (400 naming the field), redact PII from the prompt, answer the configured message when
 * the out-of-scope guardrail fires, otherwise take a generation slot (429 with Retry-After when
 * the queue is full) and generate, within the request timeout (504), as one JSON answer or as
 * server-sent events. A streaming client that disconnects stops the generation at the next token.
 */
final class GenerateRoutes {
    /** The most tokens a request may ask for (the model's context still bounds it). */
    static final int MAX_NEW_TOKENS = 4096;
    static final int DEFAULT_MAX_NEW_TOKENS = 256;
    private static final int MAX_STOPS = 4;
    private static final int MAX_MESSAGES = 256;
    private static final Set<String> GENERATE_FIELDS = Set.of("prompt", "max_new_tokens", "temperature", "top_p", "stop", "seed", "model");
    private static final Set<String> COMMON_OPENAI = Set.of("model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream",
            "stream_options", "n", "user");
    private static final Set<String> COMPLETION_FIELDS = union(COMMON_OPENAI, Set.of("prompt"));
    private static final Set<String> CHAT_FIELDS = union(COMMON_OPENAI, Set.of("messages", "max_completion_tokens"));
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name");
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    private enum Api { GENERATE, COMPLETION, CHAT }

    /** A validated request: what to generate, for which model, and how to answer. */
    private record Call(Api api, ServedModel model, TextGenerator.Request request, boolean stream, boolean includeUsage,
                        PolicyOutcome policy) {}

    private final ServerConfig config;
    private final ServedModels models;
    private final Policy policy;
    private final ConcurrencyLimit limit;
    private final MeterRegistry registry;
    private final DistributionSummary tokensPerSecond;

    /** A graceful stop lets generations in flight finish; the request timeout bounds them. */
    GenerateRoutes(ServerConfig config, ServedModels models, Policy policy, ConcurrencyLimit limit, MeterRegistry registry) {
        this.config = config;
        this.models = models;
        this.policy = policy;
        this.limit = limit;
        this.registry = registry;
        this.tokensPerSecond = DistributionSummary.builder("supportlm.generation.tokens.per.second")
                .description("completion tokens per second of generation, per request").register(registry);
    }

    void generate(Context ctx) throws IOException {
        run(ctx, parse(ctx, Api.GENERATE));
    }

    void completions(Context ctx) throws IOException {
        run(ctx, parse(ctx, Api.COMPLETION));
    }

    void chat(Context ctx) throws IOException {
        run(ctx, parse(ctx, Api.CHAT));
    }

    // ------------------------------------------------------------------------------ validation

    private Call parse(Context ctx, Api api) throws IOException {
        JsonBody body = ClassifyRoutes.read(ctx, config.maxBodyBytes());
        body.allowOnly("", switch (api) {
            case GENERATE -> GENERATE_FIELDS;
            case COMPLETION -> COMPLETION_FIELDS;
            case CHAT -> CHAT_FIELDS;
        });
        ServedModel model = models.generator(body.optionalString("", "model"));
        TextGenerator generator = model.generator();
        int maxTokens = switch (api) {
            case GENERATE -> body.optionalInt("", "max_new_tokens", DEFAULT_MAX_NEW_TOKENS, 1, MAX_NEW_TOKENS);
            case COMPLETION -> body.optionalInt("", "max_tokens", DEFAULT_MAX_NEW_TOKENS, 1, MAX_NEW_TOKENS);
            case CHAT -> {
                if (body.has("max_tokens") && body.has("max_completion_tokens")) {
                    throw ApiException.badField("max_completion_tokens", "give either 'max_tokens' or 'max_completion_tokens', not both");
                }
                String field = body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
                yield body.optionalInt("", field, DEFAULT_MAX_NEW_TOKENS, 1, MAX_NEW_TOKENS);
            }
        };
        double temperature = body.optionalDouble("", "temperature", 1.0, 0, 2);
        double topP = body.optionalDouble("", "top_p", 1.0, 0, 1);
        if (topP == 0) {
            throw ApiException.badField("top_p", "must be greater than 0 and at most 1, got 0");
        }
        Long seed = body.optionalLong("", "seed");
        List<String> stop = body.stringOrStrings("", "stop", MAX_STOPS);
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i).isEmpty()) {
                throw ApiException.badField(body.node("stop").isArray() ? "stop[" + i + "]" : "stop", "must not be empty");
            }
        }
        boolean stream = false;
        boolean includeUsage = false;
        if (api != Api.GENERATE) {
            body.optionalInt("", "n", 1, 1, 1);
            body.optionalString("", "user");
            stream = body.optionalBoolean("", "stream", false);
            JsonBody options = body.optionalObject("", "stream_options");
            if (options != null) {
                if (!stream) {
                    throw ApiException.badField("stream_options", "is only allowed with 'stream': true");
                }
                options.allowOnly("stream_options.", Set.of("include_usage"));
                includeUsage = options.optionalBoolean("stream_options.", "include_usage", false);
            }
        }
        Redaction input;
        String prompt;
        if (api == Api.CHAT) {
            List<ChatTemplate.Message> messages = new ArrayList<>();
            Map<PiiKind, Integer> counts = new EnumMap<>(PiiKind.class);
            String lastUser = null;
            List<JsonBody> raw = body.requiredObjects("", "messages", MAX_MESSAGES);
            for (int i = 0; i < raw.size(); i++) {
                String prefix = "messages[" + i + "].";
                JsonBody m = raw.get(i);
                m.allowOnly(prefix, MESSAGE_FIELDS);
                String role = m.requiredString(prefix, "role");
                if (!ROLES.contains(role)) {
                    throw ApiException.badField(prefix + "role", "must be one of " + ROLES.stream().sorted().toList() + ", got '" + role + "'");
                }
                m.optionalString(prefix, "name");
                Redaction r = policy.redact(messageText(m, prefix));
                r.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum));
                messages.add(new ChatTemplate.Message(role.equals("developer") ? "system" : role, r.text()));
                if (role.equals("user")) {
                    lastUser = r.text();
                }
            }
            if (lastUser == null) {
                throw ApiException.badField("messages", "must hold at least one message with role 'user'");
            }
            input = new Redaction(lastUser, counts);
            prompt = generator.chatPrompt(messages);
        } else {
            String text = body.requiredString("", "prompt");
            if (text.isEmpty()) {
                throw ApiException.badField("prompt", "must not be empty");
            }
            checkLength("prompt", text);
            input = policy.redact(text);
            prompt = input.text();
        }
        PolicyOutcome outcome = policy.evaluate(input, null);
        ObjectNode log = ctx.attribute(SupportServer.LOG);
        if (log != null) {
            log.put("model", model.name()).put("redactions", input.total()).put("stream", stream);
            if (policy.logInputs()) {
                log.put("input", input.text());
            }
        }
        TextGenerator.Request request = new TextGenerator.Request(prompt, maxTokens, temperature, topP, stop, seed, api != Api.CHAT);
        return new Call(api, model, request, stream, includeUsage, outcome);
    }

    /** A message's content: a string, or OpenAI's array of {@code {"type": "text", "text": ...}} parts. */
    private String messageText(JsonBody m, String prefix) {
        JsonNode content = m.node("content");
        if (content == null || content.isNull()) {
            throw ApiException.badField(prefix + "content", "is required");
        }
        String text;
        if (content.isTextual()) {
            text = m.optionalString(prefix, "content");
        } else if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            List<JsonBody> parts = m.requiredObjects(prefix, "content", MAX_MESSAGES);
            for (int i = 0; i < parts.size(); i++) {
                String p = prefix + "content[" + i + "].";
                parts.get(i).allowOnly(p, Set.of("type", "text"));
                String type = parts.get(i).requiredString(p, "type");
                if (!type.equals("text")) {
                    throw ApiException.badField(p + "type", "only 'text' parts are supported, got '" + type + "'");
                }
                sb.append(parts.get(i).requiredString(p, "text"));
            }
            text = sb.toString();
        } else {
            throw ApiException.badField(prefix + "content", "must be a string or an array of text parts, got " + JsonBody.kind(content));
        }
        checkLength(prefix + "content", text);
        return text;
    }

    private void checkLength(String field, String text) {
        if (text.length() > config.maxTextChars()) {
            throw ApiException.badField(field, "is " + text.length() + " characters; at most " + config.maxTextChars() + " are allowed");
        }
    }

    // ------------------------------------------------------------------------------ generation

    private void run(Context ctx, Call call) throws IOException {
        if (call.policy().outOfScope()) {
            // The guardrail's answer stands in for the model's: no slot, no tokens.
            TextGenerator.Result canned = new TextGenerator.Result(call.policy().outOfScopeMessage(), 0, 0, TextGenerator.FinishReason.STOP);
            if (call.stream()) {
                Events events = Events.open(ctx, call);
                events.delta(canned.text());
                events.finish(canned);
            } else {
                JsonBody.send(ctx, 200, answer(call, canned, 0));
            }
            return;
        }
        long start = System.nanoTime();
        long deadline = start + config.requestTimeout().toNanos();
        try (ConcurrencyLimit.Slot slot = limit.acquire(config.requestTimeout())) {
            if (call.stream()) {
                stream(ctx, call, start, deadline);
                return;
            }
            TextGenerator.Result result = call.model().generator().generate(call.request(), delta -> {},
                    () -> System.nanoTime() > deadline);
            if (result.finishReason() == TextGenerator.FinishReason.CANCELLED) {
                throw timedOut();
            }
            double ms = record(call, result, start);
            JsonBody.send(ctx, 200, answer(call, result, ms));
        }
    }

    private void stream(Context ctx, Call call, long start, long deadline) {
        Events events = Events.open(ctx, call);
        TextGenerator.Result result;
        try {
            result = call.model().generator().generate(call.request(), events::delta,
                    () -> events.closed() || System.nanoTime() > deadline);
        } catch (ApiException e) {
            if (!events.started()) {
                throw e; // nothing sent yet (a prompt too long, say): a plain JSON error with its status
            }
            events.error(e);
            return;
        } catch (RuntimeException e) {
            if (!events.started()) {
                throw e;
            }
            // The status is sent: the failure can only be an event; the access log keeps the cause.
            events.error(new ApiException(500, "server_error", null, "generation failed"));
            ObjectNode log = ctx.attribute(SupportServer.LOG);
            if (log != null) {
                log.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            return;
        }
        record(call, result, start);
        if (events.closed()) {
            registry.counter("supportlm.generation.disconnects", "model", call.model().name()).increment();
            return;
        }
        if (result.finishReason() == TextGenerator.FinishReason.CANCELLED) {
            events.error(timedOut());
            return;
        }
        events.finish(result);
    }

    private ApiException timedOut() {
        return new ApiException(504, "timeout_error", null, "generation did not finish within " + config.requestTimeout().toMillis() + " ms");
    }

    /** Counts tokens and speed; returns the generation's milliseconds. */
    private double record(Call call, TextGenerator.Result r, long start) {
        double seconds = (System.nanoTime() - start) / 1e9;
        String model = call.model().name();
        registry.counter("supportlm.generation.tokens", "model", model, "kind", "prompt").increment(r.promptTokens());
        registry.counter("supportlm.generation.tokens", "model", model, "kind", "completion").increment(r.completionTokens());
        if (seconds > 0 && r.completionTokens() > 0) {
            tokensPerSecond.record(r.completionTokens() / seconds);
        }
        return Math.round(seconds * 1e6) / 1000.0;
    }

    // ------------------------------------------------------------------------------ wire formats

    private ObjectNode answer(Call call, TextGenerator.Result r, double latencyMs) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        if (call.api() == Api.GENERATE) {
            root.put("model", call.model().name());
            root.put("text", r.text());
            root.put("finish_reason", finishReason(r.finishReason()));
            usage(root, r);
            root.put("latency_ms", latencyMs);
        } else {
            header(root, call, call.api() == Api.CHAT ? "chat.completion" : "text_completion");
            ObjectNode choice = root.putArray("choices").addObject();
            choice.put("index", 0);
            if (call.api() == Api.CHAT) {
                choice.putObject("message").put("role", "assistant").put("content", r.text()).putNull("refusal");
            } else {
                choice.put("text", r.text());
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(r.finishReason()));
            usage(root, r);
        }
        ClassifyRoutes.writePolicy(root.putObject("policy"), call.policy());
        return root;
    }

    private static String idPrefix(Call call) {
        return call.api() == Api.CHAT ? "chatcmpl-" : "cmpl-";
    }

    private void header(ObjectNode root, Call call, String object) {
        root.put("id", idPrefix(call) + UUID.randomUUID());
        root.put("object", object);
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", call.model().name());
    }

    private static void usage(ObjectNode root, TextGenerator.Result r) {
        root.putObject("usage").put("prompt_tokens", r.promptTokens()).put("completion_tokens", r.completionTokens())
                .put("total_tokens", r.promptTokens() + r.completionTokens());
    }

    private static String finishReason(TextGenerator.FinishReason r) {
        return switch (r) {
            case STOP, CANCELLED -> "stop";
            case LENGTH -> "length";
        };
    }

    /**
     * One server-sent-event stream: {@code data: <chunk>} lines, a last chunk with the finish
     * reason (and one with usage when asked), then {@code data: [DONE]}. A failed write means the
     * client is gone; {@link #closed()} then tells the generation to stop.
     */
    private static final class Events {
        private final Context ctx;
        private final Call call;
        private final String id = UUID.randomUUID().toString();
        private final long created = System.currentTimeMillis() / 1000;
        private OutputStream out; // null until the first event
        private volatile boolean closed;

        private Events(Context ctx, Call call) {
            this.ctx = ctx;
            this.call = call;
        }

        static Events open(Context ctx, Call call) {
            return new Events(ctx, call);
        }

        /** True once the status and the first event are written: errors can then only be events. */
        boolean started() {
            return out != null;
        }

        /** Commits 200 with the event-stream headers; a chat stream starts with the assistant's role. */
        private void begin() {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            try {
                out = ctx.res().getOutputStream();
            } catch (IOException e) {
                closed = true;
                return;
            }
            if (call.api() == Api.CHAT) {
                ObjectNode chunk = chunk();
                chunk.withArray("choices").addObject().put("index", 0).putNull("logprobs").putNull("finish_reason")
                        .putObject("delta").put("role", "assistant").put("content", "");
                send(chunk);
            }
        }

        boolean closed() {
            return closed;
        }

        void delta(String text) {
            ObjectNode chunk = chunk();
            ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
            if (call.api() == Api.CHAT) {
                choice.putObject("delta").put("content", text);
            } else {
                choice.put("text", text);
            }
            choice.putNull("logprobs").putNull("finish_reason");
            send(chunk);
        }

        void finish(TextGenerator.Result r) {
            ObjectNode chunk = chunk();
            ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
            if (call.api() == Api.CHAT) {
                choice.putObject("delta");
            } else {
                choice.put("text", "");
            }
            choice.putNull("logprobs").put("finish_reason", finishReason(r.finishReason()));
            ClassifyRoutes.writePolicy(chunk.putObject("policy"), call.policy());
            send(chunk);
            if (call.includeUsage()) {
                ObjectNode last = chunk();
                last.putArray("choices");
                usage(last, r);
                send(last);
            }
            write("data: [DONE]\n\n");
        }

        void error(ApiException e) {
            ObjectNode root = JsonBody.MAPPER.createObjectNode();
            ObjectNode error = root.putObject("error");
            error.put("message", e.getMessage()).put("type", e.type()).put("code", e.status());
            if (e.param() == null) {
                error.putNull("param");
            } else {
                error.put("param", e.param());
            }
            send(root);
            write("data: [DONE]\n\n");
        }

        private ObjectNode chunk() {
            ObjectNode root = JsonBody.MAPPER.createObjectNode();
            root.put("id", idPrefix(call) + id);
            root.put("object", call.api() == Api.CHAT ? "chat.completion.chunk" : "text_completion");
            root.put("created", created);
            root.put("model", call.model().name());
            return root;
        }

        private void send(ObjectNode json) {
            try {
                write("data: " + JsonBody.MAPPER.writeValueAsString(json) + "\n\n");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot write an event: " + e.getOriginalMessage(), e);
            }
        }

        private void write(String event) {
            if (out == null && !closed) {
                begin();
            }
            if (closed) {
                return;
            }
            try {
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                closed = true; // the client went away: stop generating for it
            }
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new java.util.HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
