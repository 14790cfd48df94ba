package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
    @Test
    void acceptsOnlyConfiguredBearerTokens() {
        ApiKeys keys = new ApiKeys(Set.of("alpha-key", "beta-key"));
        assertTrue(keys.accepts("Bearer alpha-key"));
        assertTrue(keys.accepts("bearer beta-key"), "the scheme is case-insensitive (RFC 7235)");
        assertFalse(keys.accepts("Bearer alpha-ke"));
        assertFalse(keys.accepts("Bearer alpha-keyy"));
        assertFalse(keys.accepts("alpha-key"));
        assertFalse(keys.accepts("Basic alpha-key"));
        assertFalse(keys.accepts("Bearer "));
        assertFalse(keys.accepts(null));
    }

    @Test
    void noKeysMeansNoAuthentication() {
        ApiKeys none = new ApiKeys(Set.of());
        assertFalse(none.enabled());
        assertTrue(none.accepts(null));
    }
}
