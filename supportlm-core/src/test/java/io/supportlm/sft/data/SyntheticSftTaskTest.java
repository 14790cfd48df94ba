package io.supportlm.sft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticSftTaskTest {
    @TempDir
    Path dir;

    @Test
    void repliesAreTheIntentsAnswerAndFilesReadBack() throws IOException {
        List<Conversation> chats = SyntheticSftTask.conversations(64, 1);
        assertEquals(chats, SyntheticSftTask.conversations(64, 1), "deterministic");
        Set<String> answers = new HashSet<>();
        for (Conversation c : chats) {
            assertEquals(SyntheticSftTask.answerFor(c.messages().get(0).content()), c.messages().get(1).content());
            answers.add(c.messages().get(1).content());
        }
        assertEquals(SyntheticSftTask.INTENTS.size(), answers.size(), "every intent drawn");
        Path file = dir.resolve("train.jsonl");
        SftJsonl.writeConversations(file, chats);
        assertEquals(chats.stream().map(Conversation::messages).toList(),
                SftJsonl.readConversations(file, false).items().stream().map(Conversation::messages).toList());

        List<PreferencePair> pairs = SyntheticSftTask.preferencePairs(32, 2);
        for (PreferencePair p : pairs) {
            assertEquals(SyntheticSftTask.answerFor(p.prompt().getFirst().content()), p.chosen());
            assertNotEquals(p.chosen(), p.rejected());
        }
        Path pairFile = dir.resolve("pairs.jsonl");
        SftJsonl.writePreferences(pairFile, pairs);
        List<PreferencePair> back = SftJsonl.readPreferences(pairFile, false).items();
        for (int i = 0; i < pairs.size(); i++) {
            assertEquals(pairs.get(i).prompt(), back.get(i).prompt());
            assertEquals(pairs.get(i).chosen(), back.get(i).chosen());
            assertEquals(pairs.get(i).rejected(), back.get(i).rejected());
        }
    }
}
