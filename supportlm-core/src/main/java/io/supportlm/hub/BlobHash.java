package io.supportlm.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The hashes that name blobs in the cache. The hub's etag of an LFS file is the SHA-256 of its content;
 * the etag of a file kept in git is its git blob id, SHA-1 over {@code "blob <size>\0"} followed by the
 * content (what {@code git hash-object} prints). Either way a blob's name says how to check it.
 */
final class BlobHash {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final int BUFFER = 1 << 16;

    private BlobHash() { }

    /** Whether {@code etag} has a form this class can check (64-hex SHA-256 or 40-hex git blob id). */
    static boolean isCheckable(String etag) {
        return SHA256.matcher(etag).matches() || SHA1.matcher(etag).matches();
    }

    /** The hash of {@code file} computed the way {@code etag} was: SHA-256 or git blob SHA-1. */
    static String sameKindAs(String etag, Path file) throws IOException {
        if (SHA256.matcher(etag).matches()) {
            return digest("SHA-256", null, file);
        }
        if (SHA1.matcher(etag).matches()) {
            byte[] header = ("blob " + Files.size(file) + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            return digest("SHA-1", header, file);
        }
        throw new IllegalArgumentException("etag '" + etag + "' is neither a SHA-256 nor a git blob id");
    }

    /** Whether {@code file} hashes to {@code etag}; true for etags of a form that cannot be checked. */
    static boolean matches(String etag, Path file) throws IOException {
        return !isCheckable(etag) || sameKindAs(etag, file).equals(etag);
    }

    private static String digest(String algorithm, byte[] prefix, Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every Java platform", e);
        }
        if (prefix != null) {
            md.update(prefix);
        }
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
