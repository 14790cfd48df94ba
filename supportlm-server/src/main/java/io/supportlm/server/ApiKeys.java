package io.supportlm.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Set;

/**
 * Bearer-token check. Keys are kept as SHA-256 digests and compared with
 * {@link MessageDigest#isEqual} (constant time in the digest length), against every key without
 * stopping early, so neither the position of the first wrong byte nor which key matched nor a
 * key's length shows in the timing.
 */
public final class ApiKeys {
    private final List<byte[]> digests;

    public ApiKeys(Set<String> keys) {
        this.digests = keys.stream().map(ApiKeys::sha256).toList();
    }

    public boolean enabled() {
        return !digests.isEmpty();
    }

    /** True when the {@code Authorization} header value carries an accepted bearer token. */
    public boolean accepts(String authorization) {
        if (!enabled()) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = sha256(authorization.substring(7).strip());
        boolean ok = false;
        for (byte[] d : digests) {
            ok |= MessageDigest.isEqual(d, presented);
        }
        return ok;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK must provide SHA-256", e);
        }
    }
}
