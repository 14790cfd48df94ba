package io.supportlm.server;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * Reads a request body strictly: at most a byte limit (413 beyond), valid UTF-8, one JSON object
 * with no duplicate keys and nothing after it. The typed getters answer 400 naming the field.
 */
public final class JsonBody {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final ObjectNode root;

    private JsonBody(ObjectNode root) {
        this.root = root;
    }

    /** Reads at most {@code limit} bytes of {@code in}; more is a 413. */
    public static byte[] readLimited(InputStream in, long declaredLength, long limit) throws IOException {
        if (declaredLength > limit) {
            throw tooLarge(limit);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(declaredLength, 256), limit));
        byte[] buf = new byte[8192];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > limit) {
                throw tooLarge(limit);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", null, "request body is larger than the limit of " + limit + " bytes");
    }

    /** Parses bytes that must be UTF-8 JSON holding one object. */
    public static JsonBody parse(byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("request body is not valid UTF-8");
        }
        if (text.isBlank()) {
            throw ApiException.badRequest("request body is empty; expected a JSON object");
        }
        JsonNode node;
        try (JsonParser p = MAPPER.createParser(text)) {
            node = MAPPER.readTree(p);
        } catch (StreamConstraintsException e) {
            throw ApiException.badRequest("request body is too deeply nested or too long a value");
        } catch (JsonParseException e) {
            throw ApiException.badRequest("malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON: " + firstLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("request body must be a JSON object");
        }
        return new JsonBody((ObjectNode) node);
    }

    /** Writes {@code value} as the JSON response with {@code status}. */
    public static void send(io.javalin.http.Context ctx, int status, Object value) {
        try {
            ctx.status(status).contentType("application/json").result(MAPPER.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON response: " + e.getOriginalMessage(), e);
        }
    }

    static JsonBody of(ObjectNode node) {
        return new JsonBody(node);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Fails with 400 on a field outside {@code allowed}. {@code prefix} is the object's path ("" for the root). */
    public void allowOnly(String prefix, Set<String> allowed) {
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw ApiException.badField(prefix + f, "unknown field (allowed: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    public boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    /** A string field, or null when absent or null. */
    public String optionalString(String prefix, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiException.badField(prefix + field, "must be a string, got " + kind(n));
        }
        String s = n.textValue();
        int bad = unpairedSurrogate(s);
        if (bad >= 0) {
            throw ApiException.badField(prefix + field, "has an unpaired surrogate \\u"
                    + String.format("%04x", (int) s.charAt(bad)) + " at character " + bad + " (not valid Unicode text)");
        }
        return s;
    }

    /** The index of the first UTF-16 surrogate without its pair (JSON escapes can encode one), or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    public String requiredString(String prefix, String field) {
        String s = optionalString(prefix, field);
        if (s == null) {
            throw ApiException.badField(prefix + field, "is required");
        }
        return s;
    }

    /** An integer field in [min, max], or {@code dflt} when absent. */
    public int optionalInt(String prefix, String field, int dflt, int min, int max) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ApiException.badField(prefix + field, "must be an integer, got " + kind(n));
        }
        int v = n.intValue();
        if (v < min || v > max) {
            throw ApiException.badField(prefix + field, "must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    /** A number field in [min, max], or {@code dflt} when absent or null. */
    public double optionalDouble(String prefix, String field, double dflt, double min, double max) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw ApiException.badField(prefix + field, "must be a number, got " + kind(n));
        }
        double v = n.doubleValue();
        if (!(v >= min && v <= max)) {
            throw ApiException.badField(prefix + field, "must be between " + min + " and " + max + ", got " + n.asText());
        }
        return v;
    }

    /** A boolean field, or {@code dflt} when absent or null. */
    public boolean optionalBoolean(String prefix, String field, boolean dflt) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw ApiException.badField(prefix + field, "must be a boolean, got " + kind(n));
        }
        return n.booleanValue();
    }

    /** An integer field that fits a long, or null when absent or null. */
    public Long optionalLong(String prefix, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiException.badField(prefix + field, "must be an integer (64-bit), got " + kind(n));
        }
        return n.longValue();
    }

    /** A field that is one string or an array of strings (OpenAI's {@code stop}); empty when absent. */
    public java.util.List<String> stringOrStrings(String prefix, String field, int maxItems) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return java.util.List.of();
        }
        if (n.isTextual()) {
            return java.util.List.of(optionalString(prefix, field));
        }
        if (!n.isArray()) {
            throw ApiException.badField(prefix + field, "must be a string or an array of strings, got " + kind(n));
        }
        if (n.size() > maxItems) {
            throw ApiException.badField(prefix + field, "has " + n.size() + " items; at most " + maxItems + " are allowed");
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (!e.isTextual()) {
                throw ApiException.badField(prefix + field + "[" + i + "]", "must be a string, got " + kind(e));
            }
            if (unpairedSurrogate(e.textValue()) >= 0) {
                throw ApiException.badField(prefix + field + "[" + i + "]", "has an unpaired surrogate (not valid Unicode text)");
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** The raw node of a field (null when absent), for fields with more than one allowed shape. */
    public JsonNode node(String field) {
        return root.get(field);
    }

    /** An object field, or null when absent or null. */
    public JsonBody optionalObject(String prefix, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw ApiException.badField(prefix + field, "must be an object, got " + kind(n));
        }
        return new JsonBody((ObjectNode) n);
    }

    /** An array field's elements as objects; each must be an object. */
    public java.util.List<JsonBody> requiredObjects(String prefix, String field, int maxItems) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw ApiException.badField(prefix + field, "is required");
        }
        if (!n.isArray()) {
            throw ApiException.badField(prefix + field, "must be an array, got " + kind(n));
        }
        if (n.isEmpty()) {
            throw ApiException.badField(prefix + field, "must not be empty");
        }
        if (n.size() > maxItems) {
            throw ApiException.badField(prefix + field, "has " + n.size() + " items; at most " + maxItems + " are allowed");
        }
        java.util.List<JsonBody> out = new java.util.ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (!e.isObject()) {
                throw ApiException.badField(prefix + field + "[" + i + "]", "must be an object, got " + kind(e));
            }
            out.add(new JsonBody((ObjectNode) e));
        }
        return out;
    }

    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? (n.canConvertToInt() ? "an integer" : "an integer out of range") : "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NULL, MISSING -> "null";
            case BINARY -> "binary";
        };
    }
}
