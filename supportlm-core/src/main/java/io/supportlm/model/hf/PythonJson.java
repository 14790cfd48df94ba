package io.supportlm.model.hf;

import java.lang.reflect.Array;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)} writes it,
 * which is what transformers' {@code tojson} filter produces inside chat templates: separators
 * {@code ", "} and {@code ": "} without indent, {@code ","} and {@code ": "} with it; keys in
 * insertion order; non-ASCII characters kept as they are.
 */
final class PythonJson {
    private PythonJson() {}

    static String dumps(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object v, Integer indent, int level) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            out.append(pythonFloat(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            out.append(n.toString());
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    out.append(indent == null ? ", " : ",");
                }
                first = false;
                newline(out, indent, level + 1);
                string(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), indent, level + 1);
            }
            newline(out, indent, level);
            out.append('}');
        } else if (v instanceof Iterable<?> || v.getClass().isArray()) {
            Iterator<?> it = v instanceof Iterable<?> iterable ? iterable.iterator() : arrayIterator(v);
            if (!it.hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            while (it.hasNext()) {
                if (!first) {
                    out.append(indent == null ? ", " : ",");
                }
                first = false;
                newline(out, indent, level + 1);
                write(out, it.next(), indent, level + 1);
            }
            newline(out, indent, level);
            out.append(']');
        } else {
            string(out, v.toString());
        }
    }

    private static Iterator<Object> arrayIterator(Object array) {
        int n = Array.getLength(array);
        return new Iterator<>() {
            int i;

            public boolean hasNext() {
                return i < n;
            }

            public Object next() {
                return Array.get(array, i++);
            }
        };
    }

    private static void newline(StringBuilder out, Integer indent, int level) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    /** Python's float repr: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return d == 0 && 1 / d < 0 ? "-0.0" : (long) d + ".0";
        }
        String java = Double.toString(d); // shortest repr, like Python, but Java's exponent style
        int e = java.indexOf('E');
        if (e < 0) {
            return java;
        }
        String mantissa = java.substring(0, e);
        int exp = Integer.parseInt(java.substring(e + 1));
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        if (exp >= -4 && exp < 16) {
            return new java.math.BigDecimal(mantissa + "E" + exp).toPlainString();
        }
        return mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
