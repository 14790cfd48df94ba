package io.supportlm.model.hf;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a template so that jinjava's lexer yields what Jinja2's does under transformers'
 * settings ({@code trim_blocks=True, lstrip_blocks=True}, {@code keep_trailing_newline=False}).
 * Jinjava is configured with {@code trim_blocks} and expression trimming; three behaviours differ
 * and are handled here, on the source:
 * <ol>
 *   <li>{@code lstrip_blocks}: Jinja2 strips spaces and tabs before a block or comment tag only
 *       when nothing else precedes it on its line; jinjava's option also strips mid-line. So the
 *       option stays off and the line-start whitespace is removed here (not before
 *       {@code {%+}, which opts out).</li>
 *   <li>Comments: jinjava trims around {@code {#- #}} differently; each comment becomes an empty
 *       expression with the same {@code -} markers, and a comment without a closing {@code -}
 *       drops the one newline after it, as {@code trim_blocks} does in Jinja2.</li>
 *   <li>A single trailing newline of the template is dropped ({@code keep_trailing_newline=False}).</li>
 *   <li>Precedence of {@code not}: in Jinja2 it applies to a whole comparison, test or filtered
 *       value ({@code not a == b}, {@code not x is defined}, {@code not l|length == 1}); jinjava
 *       negates the first operand. Inside tags each unary {@code not} gets explicit parentheses
 *       ({@link #wrapNot}).</li>
 *   <li>Inside tags (not macro definitions), keyword-argument values get parentheses
 *       ({@code namespace(i=m|length - 1)}) and {@code x[::-1]} becomes {@code x|reverse|list}.</li>
 * </ol>
 * The rewriting is lexical: it assumes the text {@code {#} and line-leading {@code {%} do not occur
 * inside string literals, which holds for the chat templates in use.
 */
final class JinjaSource {
    private static final Pattern LINE_START_BEFORE_TAG = Pattern.compile("(?m)^[ \\t]+(?=\\{%(?!\\+)|\\{#(?!\\+))");
    private static final Pattern COMMENT = Pattern.compile("\\{#(-?)(.*?)(-?)#}(\\r?\\n)?", Pattern.DOTALL);

    private JinjaSource() {}

    /** Applies the expression rewrites to the inside of every {@code {{ }}} and {@code {% %}} tag. */
    private static String rewriteTags(String s) {
        StringBuilder out = new StringBuilder(s.length() + 64);
        int i = 0;
        while (i < s.length()) {
            int open = nextTagStart(s, i);
            if (open < 0) {
                out.append(s, i, s.length());
                break;
            }
            String close = s.charAt(open + 1) == '{' ? "}}" : "%}";
            int j = open + 2;
            while (j < s.length() && !s.startsWith(close, j)) {
                char c = s.charAt(j);
                j = c == '\'' || c == '"' ? skipString(s, j) : j + 1;
            }
            if (j >= s.length()) { // unterminated: leave it for jinjava to report
                out.append(s, i, s.length());
                break;
            }
            String body = s.substring(open + 2, j);
            if (!body.stripLeading().replaceFirst("^-", "").stripLeading().startsWith("macro")) {
                body = wrapNamedArguments(reverseSlices(body));
            }
            out.append(s, i, open + 2).append(wrapNot(body)).append(close);
            i = j + 2;
        }
        return out.toString();
    }

    private static int nextTagStart(String s, int from) {
        int a = s.indexOf("{{", from);
        int b = s.indexOf("{%", from);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }

    private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-1\\s*]");
    private static final Pattern NAMED_ARGUMENT = Pattern.compile("[A-Za-z_]\\w*\\s*=(?!=)");

    /** {@code x[::-1]} (unsupported by jinjava's parser) becomes {@code x|reverse|list}. */
    static String reverseSlices(String expr) {
        return REVERSE_SLICE.matcher(expr).replaceAll("|reverse|list");
    }

    /**
     * Parenthesises keyword-argument values, {@code f(a=x|length - 1)} to {@code f(a=(x|length - 1))}:
     * jinjava binds {@code a=x|length} before the subtraction.
     */
    static String wrapNamedArguments(String expr) {
        StringBuilder out = new StringBuilder();
        java.util.ArrayDeque<Character> brackets = new java.util.ArrayDeque<>();
        boolean argumentStart = false;
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '\'' || c == '"') {
                int j = skipString(expr, i);
                out.append(expr, i, j);
                i = j;
                argumentStart = false;
                continue;
            }
            if (argumentStart && !brackets.isEmpty() && brackets.peek() == '(') {
                Matcher m = NAMED_ARGUMENT.matcher(expr).region(i, expr.length());
                if (m.lookingAt()) {
                    int end = argumentEnd(expr, m.end());
                    out.append(m.group()).append('(').append(wrapNamedArguments(expr.substring(m.end(), end).strip())).append(')');
                    i = end;
                    argumentStart = false;
                    continue;
                }
            }
            if (c == '(' || c == '[' || c == '{') {
                brackets.push(c);
            } else if ((c == ')' || c == ']' || c == '}') && !brackets.isEmpty()) {
                brackets.pop();
            }
            if (c == '(' || c == ',') {
                argumentStart = true;
            } else if (!Character.isWhitespace(c)) {
                argumentStart = false;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static int argumentEnd(String s, int i) {
        int depth = 0;
        int j = i;
        while (j < s.length()) {
            char c = s.charAt(j);
            if (c == '\'' || c == '"') {
                j = skipString(s, j);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return j;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                return j;
            }
            j++;
        }
        return j;
    }

    /**
     * Rewrites each unary {@code not X} in an expression to {@code not (X)}, where X runs to the
     * next {@code and}, {@code or}, {@code if}, {@code else}, closing bracket or comma at its own
     * nesting level (Jinja2: {@code not} binds looser than comparisons, tests and filters, tighter
     * than {@code and}/{@code or}). {@code is not} and {@code not in} are binary and left alone.
     */
    static String wrapNot(String expr) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '\'' || c == '"') {
                int j = skipString(expr, i);
                out.append(expr, i, j);
                i = j;
                continue;
            }
            if (isWordAt(expr, i, "not") && !previousWordIs(expr, i, "is") && !nextWordIs(expr, i + 3, "in")) {
                int start = i + 3;
                int end = operandEnd(expr, start);
                String operand = expr.substring(start, end);
                String trailing = operand.substring(operand.stripTrailing().length());
                out.append("not (").append(wrapNot(operand.strip())).append(")").append(trailing);
                i = end;
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static int skipString(String s, int i) {
        char quote = s.charAt(i);
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != quote) {
            j += s.charAt(j) == '\\' ? 2 : 1;
        }
        return Math.min(j + 1, s.length());
    }

    private static int operandEnd(String s, int i) {
        int depth = 0;
        int j = i;
        while (j < s.length()) {
            char c = s.charAt(j);
            if (c == '\'' || c == '"') {
                j = skipString(s, j);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return j;
                }
                depth--;
            } else if (depth == 0 && (c == ',' || c == '-' && j + 1 == s.length())) {
                return j;
            } else if (depth == 0 && (isWordAt(s, j, "and") || isWordAt(s, j, "or") || isWordAt(s, j, "if")
                    || isWordAt(s, j, "else"))) {
                return j;
            }
            j++;
        }
        return j;
    }

    private static boolean isWordAt(String s, int i, String word) {
        int end = i + word.length();
        return s.startsWith(word, i) && (i == 0 || !isIdentifierChar(s.charAt(i - 1)))
                && (end == s.length() || !isIdentifierChar(s.charAt(end)));
    }

    private static boolean isIdentifierChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.';
    }

    private static boolean previousWordIs(String s, int i, String word) {
        int j = i - 1;
        while (j >= 0 && Character.isWhitespace(s.charAt(j))) {
            j--;
        }
        int start = j - word.length() + 1;
        return start >= 0 && isWordAt(s, start, word);
    }

    private static boolean nextWordIs(String s, int i, String word) {
        int j = i;
        while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
            j++;
        }
        return isWordAt(s, j, word);
    }

    static String forJinjava(String source) {
        String s = LINE_START_BEFORE_TAG.matcher(source).replaceAll("");
        Matcher m = COMMENT.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            boolean trimLeft = !m.group(1).isEmpty();
            boolean trimRight = !m.group(3).isEmpty();
            String newline = m.group(4);
            String replacement = "{{" + (trimLeft ? "-" : "") + " '' " + (trimRight ? "-" : "") + "}}"
                    + (trimRight && newline != null ? newline : ""); // '-#}' strips it anyway; keep it for jinjava to strip
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        String result = rewriteTags(out.toString());
        if (result.endsWith("\r\n")) {
            return result.substring(0, result.length() - 2);
        }
        return result.endsWith("\n") ? result.substring(0, result.length() - 1) : result;
    }
}
