package io.supportlm.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
    @TempDir
    Path home;

    @Test
    void environmentGivesEndpointTokenCacheAndOfflineLikeHuggingfaceHub() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "http://mirror.local:8080/", "HF_TOKEN", "hf_abc",
                "HF_HUB_CACHE", home.resolve("hub-cache").toString(), "HF_HUB_OFFLINE", "1"));

        assertEquals(URI.create("http://mirror.local:8080"), s.endpoint());
        assertEquals("hf_abc", s.token());
        assertEquals(home.resolve("hub-cache"), s.cacheDir());
        assertTrue(s.offline());
    }

    @Test
    void defaultsAreTheHubOnlineWithoutToken() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString()));

        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertNull(s.token());
        assertEquals(home.resolve("hub"), s.cacheDir());
        assertFalse(s.offline());
    }

    @Test
    void tokenFileWrittenByHfAuthLoginIsRead() throws IOException {
        Files.writeString(home.resolve("token"), "hf_from_file\n");

        assertEquals("hf_from_file", HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString())).token());
        assertEquals("hf_env", HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env")).token());
    }

    @Test
    void offlineAcceptsTheSpellingsHuggingfaceHubAccepts() {
        for (String yes : new String[] {"1", "ON", "yes", "True"}) {
            assertTrue(HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", yes)).offline(), yes);
        }
        assertFalse(HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", "0")).offline());
    }

    @Test
    void badEndpointIsRejectedNamingTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", "ftp://x")));

        assertTrue(e.getMessage().contains("HF_ENDPOINT") && e.getMessage().contains("ftp://x"), e.getMessage());
    }

    @Test
    void toStringNeverShowsTheToken() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_secret_value"));

        assertFalse(s.toString().contains("hf_secret_value"), s.toString());
    }
}
