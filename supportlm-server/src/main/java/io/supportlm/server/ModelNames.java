package io.supportlm.server;

import java.util.regex.Pattern;

/**
 * Served model and adapter names: letters, digits, {@code . _ -}, at most 64 characters, not
 * starting with a dot. They reach file paths (adapter directories) and metric tags, so anything
 * else (slashes, {@code ..}, control characters) is refused before it is used.
 */
public final class ModelNames {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    private ModelNames() {}

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches() && !name.contains("..");
    }

    /** The name, or an IllegalArgumentException naming {@code what} and the rule. */
    public static String require(String name, String what) {
        if (!isValid(name)) {
            throw new IllegalArgumentException(what + " '" + name + "' is not a valid name: use 1-64 letters, digits, '.', '_' "
                    + "or '-', not starting with '.' and without '..'");
        }
        return name;
    }
}
