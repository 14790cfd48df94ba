package io.supportlm.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobHashTest {
    @TempDir
    Path dir;

    @Test
    void fortyHexEtagsAreGitBlobIds() throws IOException {
        // Reference values printed by `git hash-object`.
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        Path hello = Files.writeString(dir.resolve("hello"), "hello world\n");

        assertEquals("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", BlobHash.sameKindAs("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", empty));
        assertTrue(BlobHash.matches("3b18e512dba79e4c8300dd08aeb37f8e728b8dad", hello));
        assertFalse(BlobHash.matches("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", hello));
    }

    @Test
    void sixtyFourHexEtagsAreSha256() throws IOException {
        Path abc = Files.writeString(dir.resolve("abc"), "abc");

        assertTrue(BlobHash.matches("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", abc));
        assertFalse(BlobHash.matches("0".repeat(64), abc));
    }

    @Test
    void etagsOfAnUnknownFormCannotBeChecked() {
        assertFalse(BlobHash.isCheckable("abc123"));
        assertFalse(BlobHash.isCheckable("E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391"));
    }
}
