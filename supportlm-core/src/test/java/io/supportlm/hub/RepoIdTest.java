package io.supportlm.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RepoIdTest {
    @Test
    void parsesOrgNameAndDefaultsTheRevisionToMain() {
        RepoId id = RepoId.parse("HuggingFaceTB/SmolLM2-135M-Instruct");

        assertEquals("HuggingFaceTB", id.owner());
        assertEquals("SmolLM2-135M-Instruct", id.name());
        assertEquals("main", id.revision());
        assertEquals("HuggingFaceTB/SmolLM2-135M-Instruct", id.id());
        assertEquals("models--HuggingFaceTB--SmolLM2-135M-Instruct", id.folderName());
        assertFalse(id.revisionIsCommit());
    }

    @Test
    void parsesBranchTagPullRequestAndCommitRevisions() {
        assertEquals("v1.0", RepoId.parse("org/name@v1.0").revision());
        assertEquals("refs/pr/12", RepoId.parse("org/name@refs/pr/12").revision());
        RepoId commit = RepoId.parse("org/name@0123456789abcdef0123456789abcdef01234567");
        assertTrue(commit.revisionIsCommit());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "name-only", "a/b/c", "../etc/passwd", "org/..", "org/.hidden", "org/na me",
            "org--x/name", "org/name--x", "org/name@", "org/name@../../outside", "org/name@a//b", "org/name@./x",
            "org/name@a/..", "/name", "org/", "org/name@bad~rev", "org\\name"})
    void rejectsMalformedOrEscapingIdsNamingTheInput(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RepoId.parse(text));

        assertTrue(text.isEmpty() || e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void rejectsIdsLongerThanTheHubAllows() {
        String longName = "n".repeat(100);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RepoId.parse("org/" + longName));

        assertTrue(e.getMessage().contains("96"), e.getMessage());
    }
}
