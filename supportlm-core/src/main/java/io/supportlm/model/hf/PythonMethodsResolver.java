package io.supportlm.model.hf;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} and {@code dict} methods that Hugging Face chat templates call on values
 * ({@code content.startswith('<think>')}, {@code content.split('</think>')[-1].strip()},
 * {@code message.get('tool_calls', [])}, {@code tool.items()}), which jinjava would otherwise resolve
 * as Java methods (missing, or with other semantics: Java's {@code split} takes a regex). Only
 * method calls are handled here; everything else falls through to jinjava's own resolvers.
 */
final class PythonMethodsResolver extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String || base instanceof com.hubspot.jinjava.objects.SafeString) {
            result = stringMethod(base.toString(), name, args);
        } else if (base instanceof Map<?, ?> map) {
            result = mapMethod(map, name, args);
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> anyOf(a[0], p -> s.startsWith(p));
            case "endswith" -> anyOf(a[0], p -> s.endsWith(p));
            case "strip" -> rstrip(lstrip(s, chars(a)), chars(a));
            case "lstrip" -> lstrip(s, chars(a));
            case "rstrip" -> rstrip(s, chars(a));
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "split" -> split(s, a.length > 0 && a[0] != null ? a[0].toString() : null,
                    a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "join" -> join(s, a[0]);
            case "replace" -> a.length > 2 ? replaceCount(s, a[0].toString(), a[1].toString(), ((Number) a[2]).intValue())
                    : s.replace(a[0].toString(), a[1].toString());
            case "find" -> (long) s.indexOf(a[0].toString());
            case "count" -> count(s, a[0].toString());
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            default -> NOT_HANDLED;
        };
    }

    private static Object mapMethod(Map<?, ?> map, String name, Object[] a) {
        return switch (name) {
            case "get" -> a.length > 1 && !map.containsKey(a[0]) ? a[1] : map.get(a[0]);
            case "items" -> {
                List<List<Object>> items = new ArrayList<>();
                map.forEach((k, v) -> items.add(List.of(k, v == null ? "" : v)));
                yield items;
            }
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            default -> NOT_HANDLED;
        };
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> c) {
            for (Object p : c) {
                if (test.test(p.toString())) {
                    return true;
                }
            }
            return false;
        }
        return test.test(prefixes.toString());
    }

    private static String chars(Object[] a) {
        return a.length > 0 && a[0] != null ? a[0].toString() : null;
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    /** Python's {@code str.split}: literal separator, or runs of whitespace when none is given. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("split: empty separator");
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            for (Object o : it) {
                parts.add(String.valueOf(o));
            }
        } else if (items instanceof Object[] arr) {
            for (Object o : arr) {
                parts.add(String.valueOf(o));
            }
        } else {
            return String.valueOf(items);
        }
        return String.join(sep, parts);
    }

    private static String replaceCount(String s, String from, String to, int count) {
        if (count < 0) {
            return s.replace(from, to);
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(from, i);
            if (at < 0) {
                break;
            }
            out.append(s, i, at).append(to);
            i = at + from.length();
        }
        return out.append(s.substring(i)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    // Property access is left to jinjava.
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
