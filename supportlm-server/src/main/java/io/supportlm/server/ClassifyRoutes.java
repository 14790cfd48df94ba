package io.supportlm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.supportlm.data.pii.PiiKind;
import io.supportlm.data.pii.Redaction;
import io.supportlm.server.classify.ClassificationBackend;
import io.supportlm.server.classify.MicroBatcher;
import io.supportlm.server.classify.TaskProbabilities;
import io.supportlm.server.policy.Policy;
import io.supportlm.server.policy.PolicyOutcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /v1/classify} and {@code /v1/classify/batch}: validate, redact, queue on the
 * model's micro-batcher, wait (bounded), apply the policy, answer.
 *
 * <pre>{@code
 * {"text": "...", "top_k": 3, "model": "support-v1"}          or {"subject": "...", "body": "..."}
 * {"items": [{"text": "..."}, {"subject": "...", "body": "..."}], "top_k": 2, "model": "..."}
 * }</pre>
 */
final class ClassifyRoutes {
    private static final Set<String> SINGLE_FIELDS = Set.of("text", "subject", "body", "top_k", "model");
    private static final Set<String> BATCH_FIELDS = Set.of("items", "top_k", "model");
    private static final Set<String> ITEM_FIELDS = Set.of("text", "subject", "body");
    private static final int MAX_TOP_K = 1000;

    private final ServerConfig config;
    private final ServedModels models;
    private final Map<String, MicroBatcher> batchers;
    private final Policy policy;

    ClassifyRoutes(ServerConfig config, ServedModels models, Map<String, MicroBatcher> batchers, Policy policy) {
        this.config = config;
        this.models = models;
        this.batchers = batchers;
        this.policy = policy;
    }

    void single(Context ctx) throws IOException {
        JsonBody body = read(ctx, config.maxBodyBytes());
        body.allowOnly("", SINGLE_FIELDS);
        ServedModel model = models.classifier(body.optionalString("", "model"));
        int topK = body.optionalInt("", "top_k", 1, 1, MAX_TOP_K);
        Redaction input = policy.redact(inputText(body, ""));
        note(ctx, model, List.of(input));
        MicroBatcher.Result result = await(batchers.get(model.name()), List.of(input.text()));
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        root.put("model", model.name());
        writeItem(root, result.rows().getFirst(), input, topK);
        root.put("inference_ms", round(result.inferenceMs()));
        JsonBody.send(ctx, 200, root);
    }

    void batch(Context ctx) throws IOException {
        JsonBody body = read(ctx, config.maxBodyBytes());
        body.allowOnly("", BATCH_FIELDS);
        ServedModel model = models.classifier(body.optionalString("", "model"));
        int topK = body.optionalInt("", "top_k", 1, 1, MAX_TOP_K);
        List<JsonBody> items = body.requiredObjects("", "items", config.maxBatchItems());
        List<Redaction> inputs = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String prefix = "items[" + i + "].";
            items.get(i).allowOnly(prefix, ITEM_FIELDS);
            inputs.add(policy.redact(inputText(items.get(i), prefix)));
        }
        note(ctx, model, inputs);
        MicroBatcher.Result result = await(batchers.get(model.name()), inputs.stream().map(Redaction::text).toList());
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        root.put("model", model.name());
        ArrayNode out = root.putArray("items");
        for (int i = 0; i < inputs.size(); i++) {
            writeItem(out.addObject(), result.rows().get(i), inputs.get(i), topK);
        }
        root.put("inference_ms", round(result.inferenceMs()));
        JsonBody.send(ctx, 200, root);
    }

    /** The request's JSON body: 415 for another content type, 413 beyond {@code maxBodyBytes}. */
    static JsonBody read(Context ctx, long maxBodyBytes) throws IOException {
        String type = ctx.contentType();
        if (type != null && !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "invalid_request_error", null, "Content-Type must be application/json, got " + type);
        }
        byte[] bytes;
        try {
            bytes = JsonBody.readLimited(ctx.req().getInputStream(), ctx.req().getContentLengthLong(), maxBodyBytes);
        } catch (ApiException e) {
            ctx.header("Connection", "close"); // the rest of the body is not read
            throw e;
        }
        return JsonBody.parse(bytes);
    }

    /** The input: {@code text}, or {@code body} with an optional {@code subject} on the line before (as in training). */
    private String inputText(JsonBody b, String prefix) {
        String text = b.optionalString(prefix, "text");
        String subject = b.optionalString(prefix, "subject");
        String body = b.optionalString(prefix, "body");
        String out;
        String field;
        if (text != null) {
            if (subject != null || body != null) {
                throw ApiException.badField(prefix + "text", "give either 'text' or 'subject' + 'body', not both");
            }
            out = text;
            field = "text";
        } else if (body != null) {
            out = subject == null || subject.isEmpty() ? body : subject + "\n" + body;
            field = "body";
        } else if (subject != null) {
            throw ApiException.badField(prefix + "body", "is required with 'subject'");
        } else {
            throw ApiException.badField(prefix + "text", "is required (or 'body' with an optional 'subject')");
        }
        if (out.isBlank()) {
            throw ApiException.badField(prefix + field, "must not be blank");
        }
        if (out.length() > config.maxTextChars()) {
            throw ApiException.badField(prefix + field, "is " + out.length() + " characters; at most " + config.maxTextChars() + " are allowed");
        }
        return out;
    }

    private void note(Context ctx, ServedModel model, List<Redaction> inputs) {
        ObjectNode log = ctx.attribute(SupportServer.LOG);
        if (log == null) {
            return;
        }
        log.put("model", model.name()).put("items", inputs.size());
        log.put("redactions", inputs.stream().mapToInt(Redaction::total).sum());
        if (policy.logInputs()) {
            ArrayNode texts = log.putArray("inputs");
            inputs.forEach(r -> texts.add(r.text()));
        }
    }

    private MicroBatcher.Result await(MicroBatcher batcher, List<String> texts) {
        CompletableFuture<MicroBatcher.Result> submitted;
        try {
            submitted = batcher.submit(texts);
        } catch (MicroBatcher.QueueFullException e) {
            throw ApiException.overloaded("the classification queue of model '" + batcher.model() + "' is full; retry later", 1);
        } catch (IllegalStateException e) {
            throw new ApiException(503, "unavailable_error", null, "the server is shutting down");
        }
        try {
            return submitted.get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            submitted.cancel(false); // the batcher skips it if it is still queued
            throw new ApiException(504, "timeout_error", null, "classification did not finish within "
                    + config.requestTimeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "unavailable_error", null, "the server is shutting down");
        } catch (ExecutionException e) {
            throw new IllegalStateException("classification failed: " + e.getCause(), e.getCause());
        }
    }

    private void writeItem(ObjectNode item, ClassificationBackend.Row row, Redaction input, int topK) {
        ObjectNode results = item.putObject("results");
        for (TaskProbabilities tp : row.tasks()) {
            ObjectNode task = results.putObject(tp.task().name());
            TaskProbabilities.LabelScore best = tp.best();
            task.put("label", best.label());
            task.put("confidence", best.score());
            ArrayNode top = task.putArray("top_k");
            for (TaskProbabilities.LabelScore s : tp.top(topK)) {
                top.addObject().put("label", s.label()).put("score", s.score());
            }
        }
        PolicyOutcome outcome = policy.evaluate(input, row.tasks());
        writePolicy(item.putObject("policy"), outcome);
    }

    static void writePolicy(ObjectNode p, PolicyOutcome outcome) {
        ObjectNode redactions = p.putObject("redactions");
        for (Map.Entry<PiiKind, Integer> e : outcome.redactions().entrySet()) {
            redactions.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue());
        }
        p.put("escalate", outcome.escalate());
        ArrayNode reasons = p.putArray("escalations");
        for (PolicyOutcome.Escalation e : outcome.escalations()) {
            reasons.addObject().put("rule", e.rule()).put("reason", e.reason()).put("matched", e.matched());
        }
        p.put("priority", outcome.priority());
        p.put("out_of_scope", outcome.outOfScope());
        if (outcome.outOfScope()) {
            p.put("message", outcome.outOfScopeMessage());
        } else {
            p.putNull("message");
        }
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }
}
