package io.supportlm.model.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Whitespace and precedence rules where jinjava alone differs from Jinja2 (expected values from Jinja2 3.1). */
class JinjaSourceTest {
    private static String render(String template, Map<String, Object> variables) {
        return ChatTemplate.of(template, Map.of()).renderMaps(List.of(Map.of("role", "user", "content", "x")), false, variables);
    }

    @Test
    void lstripBlocksOnlyStripsWhitespaceAtTheStartOfALine() {
        assertEquals("p q r", render("p\n  {%- if true %} q {% endif -%}\n r", Map.of()));
        assertEquals("a  b  c", render("a {% if true %} b {% endif %} c", Map.of()));
        assertEquals("Y\nZ", render("  {% if true %}\nY\n  {% endif %}\nZ", Map.of()));
        assertEquals("  Y\n", render("  {%+ if true %}\nY\n{% endif %}", Map.of()));
    }

    @Test
    void commentsTrimLikeJinja2() {
        assertEquals("a  b 12q", render("a  {#- c #}  b {{ 1 }}  {{- 2 -}}  {{ \"q\" }}", Map.of()));
        assertEquals("x  y", render("x {# c #} y", Map.of()));
        assertEquals("y", render("  {# c #}\ny", Map.of()));
        assertEquals("ab", render("a\n{#- multi\nline -#}\n  b", Map.of()));
    }

    @Test
    void aSingleTrailingNewlineIsDropped() {
        assertEquals("  1  ", render("{% set a = 1 %}  {{ a }}  \n", Map.of()));
        assertEquals("x\n", render("x\n\n", Map.of()));
    }

    @Test
    void notBindsAsInJinja2() {
        Map<String, Object> v = Map.of("d", "x", "l", List.of(1), "r", "user");
        assertEquals("F T F T F T", render("{{ 'T' if not d is defined else 'F' }} {{ 'T' if not u is defined else 'F' }} "
                + "{{ 'T' if not r == 'user' else 'F' }} {{ 'T' if not r == 'bot' else 'F' }} "
                + "{{ 'T' if not l|length == 1 else 'F' }} {{ 'T' if not messages[0]['content'] is not string else 'F' }}", v));
        assertEquals("T", render("{% if not d is none and not d is number %}T{% endif %}", v));
    }

    @Test
    void unaryNotIsParenthesisedUpToAndOrAndBrackets() {
        assertEquals("not (x is defined)", JinjaSource.wrapNot("not x is defined"));
        assertEquals(" if not (a == b) and not (c|length == 1) ", JinjaSource.wrapNot(" if not a == b and not c|length == 1 "));
        assertEquals("x is not none and y not in z", JinjaSource.wrapNot("x is not none and y not in z"));
        assertEquals("f(not (a), b) or not ('not x' in s)", JinjaSource.wrapNot("f(not a, b) or not 'not x' in s"));
        assertEquals("(not (m.role == 'tool')) ", JinjaSource.wrapNot("(not m.role == 'tool') "));
        assertEquals("- not (loop.first) -", JinjaSource.wrapNot("- not loop.first -"));
        assertEquals("knot notes", JinjaSource.wrapNot("knot notes"));
    }

    @Test
    void keywordArgumentsAndReverseSlicesAreRewritten() {
        assertEquals("namespace(a=(true), i=(m|length - 1))", JinjaSource.wrapNamedArguments("namespace(a=true, i=m|length - 1)"));
        assertEquals("f(x == 1, g(k=(h(1, 2))))", JinjaSource.wrapNamedArguments("f(x == 1, g(k=h(1, 2)))"));
        assertEquals("t | tojson(indent=(4))", JinjaSource.wrapNamedArguments("t | tojson(indent=4)"));
        assertEquals("for m in messages|reverse|list", JinjaSource.reverseSlices("for m in messages[::-1]"));
        assertEquals("2|3,2,1", render("{% set ns = namespace(found=false, i=l|length - 1) %}{{ ns.i }}|"
                + "{% for x in l[::-1] %}{{ x }}{{ ',' if not loop.last }}{% endfor %}", Map.of("l", List.of(1, 2, 3))));
    }

    @Test
    void stringLiteralsMayContainTagDelimiters() {
        assertEquals("}} %} a", render("{{ '}}' }} {{ \"%}\" }} {% if not x is defined %}a{% endif %}", Map.of()));
        String longLiteral = "y".repeat(200_000);
        assertEquals(longLiteral, render("{{ '" + longLiteral + "' if not x is defined }}", Map.of()), "long tags are scanned, not backtracked");
    }
}
