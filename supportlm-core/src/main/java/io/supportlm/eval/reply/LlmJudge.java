package io.supportlm.eval.reply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A judge that asks a language model through any OpenAI-compatible {@code /v1/chat/completions}
 * endpoint which of two answers is better, A, B or tie, and asks twice with the positions
 * swapped, because judges favour one position: the tuned answer wins only if it is preferred in
 * both orders, loses only if the base answer is preferred in both, and anything else is a tie.
 * Answers are parsed leniently ({@link #parseChoice}); replies are cached on disk by the SHA-256 of
 * model and prompt, so a rerun asks nothing it has asked before.
 */
public final class LlmJudge implements Judge {
    /**
     * Where and how to ask.
     *
     * @param baseUrl     e.g. {@code https://api.openai.com/v1} or {@code http://localhost:8000/v1};
     *                    {@code /chat/completions} is appended unless already there
     * @param apiKey      bearer token, or null for local servers without auth
     * @param cacheDir    where replies are kept
     * @param maxAttempts tries per prompt, covering 429, 5xx, I/O errors and replies that name no choice
     */
    public record Config(URI baseUrl, String model, String apiKey, Duration timeout, Path cacheDir, int maxAttempts) {
        public Config {
            if (baseUrl == null || baseUrl.getScheme() == null || !baseUrl.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("judge URL must be an http(s) URL, got " + baseUrl);
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("the LLM judge needs a model name (--judge-model)");
            }
            if (cacheDir == null) {
                throw new IllegalArgumentException("the LLM judge needs a cache directory");
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("judge attempts must be >= 1, got " + maxAttempts);
            }
            timeout = timeout == null ? Duration.ofSeconds(60) : timeout;
        }

        public URI completionsUri() {
            String s = baseUrl.toString().replaceAll("/+$", "");
            return URI.create(s.endsWith("/chat/completions") ? s : s + "/chat/completions");
        }
    }

    /** What one prompt's reply said. */
    public enum Choice { A, B, TIE }

    static final String SYSTEM = "You are an impartial judge of customer-support replies. Judge which reply better serves the "
            + "customer: correct, helpful, specific where the facts allow, faithful to the reference and to the question, "
            + "and safe. If the request is harmful, fraudulent, asks for other people's data or is outside customer "
            + "support, the better reply declines politely or redirects. Do not prefer a reply for its length or position. "
            + "Reply with exactly one word: A, B, or tie.";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Config config;
    private final HttpClient http;
    private int requests;

    public LlmJudge(Config config) throws IOException {
        this.config = config;
        Files.createDirectories(config.cacheDir());
        this.http = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    }

    @Override
    public String description() {
        return "llm " + config.model() + " at " + config.completionsUri() + " (both orders; disagreement is a tie)";
    }

    /** HTTP requests sent so far (cache hits send none). */
    public int requests() {
        return requests;
    }

    @Override
    public Verdict judge(SuiteItem item, String tunedAnswer, String baseAnswer) {
        Choice first = ask(prompt(item, tunedAnswer, baseAnswer));   // tuned is A
        Choice second = ask(prompt(item, baseAnswer, tunedAnswer));  // tuned is B
        Outcome o1 = first == Choice.A ? Outcome.WIN : first == Choice.B ? Outcome.LOSS : Outcome.TIE;
        Outcome o2 = second == Choice.B ? Outcome.WIN : second == Choice.A ? Outcome.LOSS : Outcome.TIE;
        String reason = "tuned first: " + label(first) + "; tuned second: " + label(second);
        if (o1 == o2) {
            return new Verdict(o1, reason);
        }
        return new Verdict(Outcome.TIE, reason + " (inconsistent across orders)");
    }

    private static String label(Choice c) {
        return c == null ? "no answer" : c.name().toLowerCase(Locale.ROOT);
    }

    static String prompt(SuiteItem item, String answerA, String answerB) {
        var sb = new StringBuilder();
        sb.append("Customer message:\n").append(item.question()).append("\n\n");
        if (item.context() != null && !item.context().isBlank()) {
            sb.append("Facts the assistant was given:\n").append(item.context()).append("\n\n");
        }
        if (item.hasReference()) {
            sb.append("Reference reply (a good answer, not the only one):\n").append(item.reference()).append("\n\n");
        }
        sb.append("Reply A:\n<<<\n").append(answerA).append("\n>>>\n\n");
        sb.append("Reply B:\n<<<\n").append(answerB).append("\n>>>\n\n");
        sb.append("Which reply is better? Answer with exactly one word: A, B, or tie.");
        return sb.toString();
    }

    /** The choice for one prompt: from the cache, else from the endpoint; null if no attempt gave a readable choice. */
    Choice ask(String user) {
        String key = cacheKey(config.model(), SYSTEM, user);
        Path cached = config.cacheDir().resolve(key + ".json");
        try {
            if (Files.isRegularFile(cached)) {
                Choice c = parseChoice(JSON.readTree(cached.toFile()).path("content").asText());
                if (c != null) {
                    return c;
                }
            }
            IOException lastError = null;
            for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
                if (attempt > 1) {
                    sleep(Math.min(8000, 250L << (attempt - 2)));
                }
                String content;
                try {
                    content = complete(user);
                } catch (RetryableException e) {
                    lastError = e;
                    continue;
                }
                Choice c = parseChoice(content);
                if (c != null) {
                    ObjectNode entry = JSON.createObjectNode().put("model", config.model()).put("content", content);
                    Path tmp = Files.createTempFile(config.cacheDir(), key, ".tmp");
                    Files.writeString(tmp, entry.toString(), StandardCharsets.UTF_8);
                    Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    return c;
                }
            }
            if (lastError != null) {
                throw new IllegalStateException("LLM judge at " + config.completionsUri() + " failed " + config.maxAttempts()
                        + " times: " + lastError.getMessage(), lastError);
            }
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("LLM judge cache " + config.cacheDir() + ": " + e.getMessage(), e);
        }
    }

    private static final class RetryableException extends IOException {
        RetryableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private String complete(String user) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", config.model());
        body.put("temperature", 0);
        body.put("max_tokens", 16);
        var messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM);
        messages.addObject().put("role", "user").put("content", user);
        HttpRequest.Builder b = HttpRequest.newBuilder(config.completionsUri()).timeout(config.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            b.header("Authorization", "Bearer " + config.apiKey());
        }
        HttpResponse<String> response;
        try {
            requests++;
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RetryableException("I/O error: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            throw new RetryableException("HTTP " + status + ": " + snippet(response.body()), null);
        }
        if (status != 200) {
            throw new IllegalStateException("LLM judge at " + config.completionsUri() + " answered HTTP " + status + ": "
                    + snippet(response.body()));
        }
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new RetryableException("reply is not JSON: " + snippet(response.body()), e);
        }
        JsonNode content = json.path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) {
            throw new RetryableException("reply has no choices[0].message.content: " + snippet(response.body()), null);
        }
        return content.asText();
    }

    private static final Pattern LABELLED = Pattern.compile(
            "(?i)\\b(?:verdict|winner|choice|better(?:\\s+(?:reply|answer|response))?|answer|final answer)\\s*(?:is|:|=)?\\s*[*\"'`(\\[]*"
                    + "\\s*(?:reply\\s+|answer\\s+|response\\s+)?(A|B|tie)\\b");
    // A choice first, then the end, a line break, or punctuation that ends it: "A", "**B**", "Tie.", "B: because…", "A is better" (not "A good reply…", not "Reply A is polite but…").
    private static final Pattern LEADING = Pattern.compile("(?i)^[\\s*\"'`(\\[#>]*(?:reply\\s+|answer\\s+|response\\s+)?(A|B|tie)"
            + "[*\"'`)\\].!]*(?:$|\\s*\\n|\\s*[-\u2014:,;]\\s|\\s+(?:because|since|as)\\b|\\s+is\\s+(?:the\\s+)?(?:better|best|preferred|stronger)\\b)");
    private static final Pattern SOLE_REPLY = Pattern.compile("(?i)\\b(?:reply|answer|response)\\s+(A|B)\\b");

    /**
     * Reads a choice from a judge's reply: a bare {@code A}, {@code B} or {@code tie} (any case,
     * markdown or quotes around it, "Reply A"), a JSON object with {@code verdict}/{@code winner}/
     * {@code choice}, a labelled one ("Verdict: B", "The better reply is A"), or a reply that names
     * exactly one of "Reply A"/"Reply B" or says only "tie". Null when none of these apply.
     */
    public static Choice parseChoice(String content) {
        if (content == null) {
            return null;
        }
        String s = content.strip();
        if (s.startsWith("{")) {
            try {
                JsonNode j = JSON.readTree(s);
                for (String field : new String[] {"verdict", "winner", "choice", "answer", "better"}) {
                    Choice c = choice(j.path(field).asText(""));
                    if (c != null) {
                        return c;
                    }
                }
            } catch (IOException ignored) {
                // not JSON after all: read it as text below
            }
        }
        Matcher lead = LEADING.matcher(s);
        if (lead.find()) {
            return choice(lead.group(1));
        }
        Matcher labelled = LABELLED.matcher(s);
        if (labelled.find()) {
            return choice(labelled.group(1));
        }
        Matcher sole = SOLE_REPLY.matcher(s);
        Choice only = null;
        while (sole.find()) {
            Choice c = choice(sole.group(1));
            if (only != null && only != c) {
                return null; // names both: ambiguous
            }
            only = c;
        }
        if (only != null) {
            return only;
        }
        return Pattern.compile("(?i)\\b(?:tie|equally good|both equally)\\b").matcher(s).find() ? Choice.TIE : null;
    }

    private static Choice choice(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "a" -> Choice.A;
            case "b" -> Choice.B;
            case "tie" -> Choice.TIE;
            default -> null;
        };
    }

    static String cacheKey(String model, String system, String user) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {model, system, user}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String snippet(String body) {
        String oneLine = body == null ? "" : body.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry the LLM judge", e);
        }
    }
}
