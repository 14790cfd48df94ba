package io.supportlm.hub;

import java.util.regex.Pattern;

/**
 * A model repository on the Hugging Face Hub and the revision wanted: {@code org/name[@revision]}.
 *
 * <p>The owner and name follow the hub's own rules (letters, digits, {@code - _ .}, no {@code --} or
 * {@code ..}, at most 96 characters in all) so that the cache folder name {@code models--org--name}
 * maps back to exactly one repository. The revision is a branch, a tag or a 40-hex commit; slashes are
 * allowed ({@code refs/pr/1}) but no empty, {@code .} or {@code ..} segment, because the revision also
 * becomes a path under {@code refs/}.
 *
 * @param owner    user or organization, e.g. {@code HuggingFaceTB}
 * @param name     repository name, e.g. {@code SmolLM2-135M-Instruct}
 * @param revision branch, tag or commit hash; {@code main} when not given
 */
public record RepoId(String owner, String name, String revision) {
    public static final String DEFAULT_REVISION = "main";
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REVISION_SEGMENT = Pattern.compile("[A-Za-z0-9._+-]+");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_ID_LENGTH = 96;
    private static final int MAX_REVISION_LENGTH = 255;

    public RepoId {
        checkPart("owner", owner);
        checkPart("name", name);
        if (owner.length() + 1 + name.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("repository id '" + owner + "/" + name + "' is longer than "
                    + MAX_ID_LENGTH + " characters");
        }
        checkRevision(revision);
    }

    /**
     * Parses {@code org/name} or {@code org/name@revision}.
     *
     * @throws IllegalArgumentException naming the argument and what is wrong with it
     */
    public static RepoId parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected a model repository as org/name[@revision], got nothing");
        }
        String trimmed = text.strip();
        String revision = DEFAULT_REVISION;
        int at = trimmed.indexOf('@');
        if (at >= 0) {
            revision = trimmed.substring(at + 1);
            trimmed = trimmed.substring(0, at);
            if (revision.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "': nothing after '@' (expected a branch, tag or commit)");
            }
        }
        String[] parts = trimmed.split("/", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not a hub repository: expected org/name[@revision], "
                    + "e.g. HuggingFaceTB/SmolLM2-135M-Instruct");
        }
        try {
            return new RepoId(parts[0], parts[1], revision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "': " + e.getMessage(), e);
        }
    }

    /** {@code org/name}, as the hub's URLs spell it. */
    public String id() {
        return owner + "/" + name;
    }

    /** The cache folder of this repository, shared with Python's huggingface_hub: {@code models--org--name}. */
    public String folderName() {
        return "models--" + owner + "--" + name;
    }

    /** Whether the revision is already a full commit hash (then no ref is written and the snapshot is fixed). */
    public boolean revisionIsCommit() {
        return COMMIT.matcher(revision).matches();
    }

    public RepoId withRevision(String newRevision) {
        return new RepoId(owner, name, newRevision);
    }

    @Override
    public String toString() {
        return id() + "@" + revision;
    }

    static boolean isCommitHash(String text) {
        return text != null && COMMIT.matcher(text).matches();
    }

    private static void checkPart(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the repository " + what + " is empty (expected org/name)");
        }
        if (!PART.matcher(value).matches()) {
            throw new IllegalArgumentException("the repository " + what + " '" + value
                    + "' may only contain letters, digits, '-', '_' and '.', and must start with a letter or digit");
        }
        if (value.contains("--") || value.contains("..") || value.endsWith(".") || value.endsWith("-")) {
            throw new IllegalArgumentException("the repository " + what + " '" + value
                    + "' may not contain '--' or '..' nor end with '.' or '-'");
        }
    }

    private static void checkRevision(String revision) {
        if (revision == null || revision.isEmpty()) {
            throw new IllegalArgumentException("the revision is empty (expected a branch, tag or commit)");
        }
        if (revision.length() > MAX_REVISION_LENGTH) {
            throw new IllegalArgumentException("the revision is longer than " + MAX_REVISION_LENGTH + " characters");
        }
        for (String segment : revision.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")
                    || !REVISION_SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("the revision '" + revision + "' is not a valid branch, tag or commit "
                        + "(letters, digits, '.', '_', '+', '-' and '/' between non-empty parts; no '..')");
            }
        }
    }
}
