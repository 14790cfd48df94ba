package io.supportlm.data.label;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Valid teacher answers on disk, one small JSON file per request, named by the SHA-256 of the model
 * and the exact prompt; written atomically so a crash never leaves a half file. Only valid labels are
 * cached: failures are tried again on the next run.
 */
final class ResponseCache {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;

    ResponseCache(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    static String key(String model, String system, String user) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {model, system, user}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached labels, or null. */
    Map<String, String> get(String key) throws IOException {
        Path f = dir.resolve(key + ".json");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        return JSON.readValue(f.toFile(), new TypeReference<Map<String, String>>() {});
    }

    void put(String key, Map<String, String> labels) throws IOException {
        Path tmp = Files.createTempFile(dir, key, ".tmp");
        JSON.writeValue(tmp.toFile(), labels);
        Files.move(tmp, dir.resolve(key + ".json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
