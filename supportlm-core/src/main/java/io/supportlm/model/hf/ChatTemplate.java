package io.supportlm.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template ({@code tokenizer_config.json}'s {@code chat_template}, or
 * {@code chat_template.jinja}) rendered with jinjava the way transformers' {@code apply_chat_template}
 * renders it with Jinja2.
 *
 * <p>Environment, as in transformers: {@code trim_blocks} and {@code lstrip_blocks} on; variables
 * {@code messages}, {@code add_generation_prompt}, the tokenizer's special tokens
 * ({@code bos_token}, {@code eos_token}, ...) and any extra variables (e.g. {@code date_string});
 * {@code tools} and {@code documents} are left undefined (no tool use). Helpers:
 * {@code raise_exception(msg)} (becomes a {@link ChatTemplateException} with that message),
 * {@code strftime_now(fmt)} (Python strftime directives, English names, the clock of
 * {@link #withClock}), the filter {@code tojson} with Python's {@code json.dumps} spacing and
 * {@code indent}. Python methods on strings and dicts that templates call are provided by
 * {@link PythonMethodsResolver}. Jinjava itself handles slicing ({@code messages[1:]}),
 * {@code namespace()}, {@code loop.*}, {@code is string/mapping/iterable/defined/none},
 * {@code x if c else y}, {@code in}, negative indexes and the usual filters; {@link JinjaSource}
 * rewrites the source where jinjava's lexer or precedence differ from Jinja2 (line-start
 * {@code lstrip_blocks}, comments, {@code not}, keyword arguments, {@code [::-1]}).
 *
 * <p>Known differences from Jinja2, none used by the templates tested (SmolLM2, Qwen2.5, Qwen3, Llama 3,
 * Llama 3.2, Gemma 3): printing a boolean gives {@code true} (Python: {@code True}) and printing
 * none gives the empty string; a unary minus right after {@code {{ } is read as whitespace
 * control; slices with a step other than {@code [::-1]}; transformers' {@code {% generation %}}
 * tag (assistant masks) is not supported.
 */
public final class ChatTemplate {
    /** A chat message with string content. */
    public record Message(String role, String content) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
        }

        public static Message system(String content) {
            return new Message("system", content);
        }

        public static Message user(String content) {
            return new Message("user", content);
        }

        public static Message assistant(String content) {
            return new Message("assistant", content);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", role);
            m.put("content", content);
            return m;
        }
    }

    private static final Jinjava JINJAVA = createEngine();
    private static final ThreadLocal<Clock> CLOCK = new ThreadLocal<>();

    private final String source;
    private final String prepared; // the source as jinjava must see it (JinjaSource)
    private final Map<String, Object> specialTokens;
    private final Clock clock;

    private ChatTemplate(String source, Map<String, Object> specialTokens, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.prepared = JinjaSource.forJinjava(source);
        this.specialTokens = Map.copyOf(specialTokens);
        this.clock = clock;
    }

    /**
     * A template from its source; {@code specialTokens} binds names such as {@code bos_token} to
     * their strings (as transformers' {@code special_tokens_map}).
     */
    public static ChatTemplate of(String source, Map<String, ?> specialTokens) {
        return new ChatTemplate(source, new LinkedHashMap<>(specialTokens), Clock.systemDefaultZone());
    }

    /** The default template of a {@code tokenizer_config.json}. */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfig) {
        return fromTokenizerConfig(tokenizerConfig, null);
    }

    /**
     * A named template of a {@code tokenizer_config.json} whose {@code chat_template} is a list of
     * {@code {name, template}} ({@code null} name: the one called "default", or the only string).
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfig, String name) {
        JsonNode config = JsonFiles.readObject(tokenizerConfig);
        String source = templateSource(config.get("chat_template"), name, tokenizerConfig.toString());
        return new ChatTemplate(source, specialTokensMap(config, tokenizerConfig.toString()), Clock.systemDefaultZone());
    }

    static String templateSource(JsonNode node, String name, String file) {
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException(file + ": no 'chat_template' (a base model, or the template is in chat_template.jinja)");
        }
        if (node.isTextual()) {
            if (name != null && !name.equals("default")) {
                throw new IllegalArgumentException(file + ": has a single chat template, not one named '" + name + "'");
            }
            return node.textValue();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(file + ": 'chat_template' must be a string or a list of {name, template}");
        }
        String wanted = name == null ? "default" : name;
        List<String> names = new ArrayList<>();
        for (JsonNode t : node) {
            if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                throw new IllegalArgumentException(file + ": every 'chat_template' entry needs string 'name' and 'template', got " + t);
            }
            names.add(t.get("name").textValue());
            if (t.get("name").textValue().equals(wanted)) {
                return t.get("template").textValue();
            }
        }
        throw new IllegalArgumentException(file + ": no chat template named '" + wanted + "' (has " + names + ")");
    }

    /** transformers' {@code SPECIAL_TOKENS_ATTRIBUTES}, the names templates see. */
    private static final List<String> SPECIAL_TOKEN_FIELDS =
            List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    /** The special tokens transformers passes to templates ({@code special_tokens_map}): those that are set. */
    static Map<String, Object> specialTokensMap(JsonNode config, String file) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String field : SPECIAL_TOKEN_FIELDS) {
            SpecialTokens.token(config, field, file).ifPresent(v -> out.put(field, v));
        }
        JsonNode extra = config.get("additional_special_tokens");
        if (extra != null && extra.isArray()) {
            List<String> list = new ArrayList<>();
            for (JsonNode t : extra) {
                list.add(t.isTextual() ? t.textValue() : t.path("content").asText());
            }
            out.put("additional_special_tokens", list);
        }
        return out;
    }

    /** The same template reading the date for {@code strftime_now} from the given clock. */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, specialTokens, Objects.requireNonNull(clock, "clock"));
    }

    public String source() {
        return source;
    }

    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    /** Renders a conversation; {@code addGenerationPrompt} appends the assistant header. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>();
        messages.forEach(m -> maps.add(m.toMap()));
        return renderMaps(maps, addGenerationPrompt, Map.of());
    }

    /**
     * Renders messages given as maps (for tool calls or list content), with extra variables that
     * override the defaults (for example {@code date_string}).
     */
    public String renderMaps(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a chat needs at least one message");
        }
        Map<String, Object> bindings = new LinkedHashMap<>(specialTokens);
        List<Map<String, Object>> copies = new ArrayList<>();
        for (Map<String, ?> m : messages) {
            copies.add(new LinkedHashMap<>(m));
        }
        bindings.put("messages", copies);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.putAll(variables);
        CLOCK.set(clock);
        RenderResult result;
        try {
            result = JINJAVA.renderForResult(prepared, bindings);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + e.getMessage());
        } finally {
            CLOCK.remove();
        }
        for (TemplateError error : result.getErrors()) {
            Throwable cause = error.getException();
            while (cause != null) {
                if (cause instanceof ChatTemplateException raised) {
                    throw raised;
                }
                cause = cause.getCause();
            }
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template error at line " + error.getLineno() + ": " + error.getMessage());
            }
        }
        return result.getOutput();
    }

    // --- the engine -------------------------------------------------------------------------

    private static Jinjava createEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodsResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false) // done by JinjaSource, as Jinja2 does it
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true) // {{- x -}} trims as in Jinja2
                        .withUseNaturalOperatorPrecedence(true) // not a == b is not (a == b); see JinjaSource
                        .withUsePyishObjectMapper(true) // dicts and lists print as Python prints them
                        .withEvaluateMapKeys(true) // {key: v} evaluates key, as in Jinja2
                        .withIterateOverMapKeys(true) // {% for k in dict %} yields keys, as in Jinja2
                        .build())
                .withElResolver(resolver)
                .withMaxOutputSize(64L << 20) // a runaway template fails instead of exhausting memory
                .withNestedInterpretationEnabled(false) // message text is data: "{{Order Number}}" prints as is, as in Jinja2
                .build();
        Jinjava jinjava = new Jinjava(config);
        var context = jinjava.getGlobalContext();
        context.registerFunction(function("raise_exception", "raiseException", String.class));
        context.registerFunction(function("strftime_now", "strftimeNow", String.class));
        context.registerFilter(new ToJsonFilter());
        context.registerExpTest(new IterableTest());
        return jinjava;
    }

    private static ELFunctionDefinition function(String name, String method, Class<?>... params) {
        try {
            Method m = ChatTemplate.class.getDeclaredMethod(method, params);
            m.setAccessible(true);
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unused") // called by templates
    private static String raiseException(String message) {
        throw new ChatTemplateException("chat template raised: " + message);
    }

    @SuppressWarnings("unused") // called by templates
    private static String strftimeNow(String format) {
        Clock clock = CLOCK.get();
        return strftime(ZonedDateTime.now(clock == null ? Clock.systemDefaultZone() : clock), format);
    }

    /** Python's {@code strftime} for the common directives, with English (C locale) names. */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            String pattern = switch (d) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'b', 'h' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'H' -> "HH";
                case 'I' -> "hh";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'p' -> "a";
                case 'j' -> "DDD";
                default -> null;
            };
            if (pattern != null) {
                out.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(t));
            } else if (d == '%') {
                out.append('%');
            } else {
                out.append('%').append(d);
            }
        }
        return out.toString();
    }

    /** Jinja2's {@code is iterable}: strings, lists, dicts and arrays are iterable (jinjava says no for strings). */
    private static final class IterableTest implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof com.hubspot.jinjava.objects.SafeString
                    || var instanceof Iterable<?> || var instanceof Map<?, ?> || (var != null && var.getClass().isArray());
        }
    }

    /** transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
    private static final class ToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
            return PythonJson.dumps(var, indent);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PythonJson.dumps(var, indent == null ? null : ((Number) indent).intValue());
        }
    }
}
