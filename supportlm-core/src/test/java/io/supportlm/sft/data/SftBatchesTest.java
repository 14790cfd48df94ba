package io.supportlm.sft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.PreferenceExample;
import io.supportlm.sft.SftBatch;
import io.supportlm.sft.SftExample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftBatchesTest {
    @TempDir
    Path dir;

    /** Conversations of varied lengths: {@code n} of them, 1 to 3 exchanges each. */
    private static List<Conversation> conversations(int n, long seed) {
        Random random = new Random(seed);
        List<Conversation> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<ChatMessage> m = new ArrayList<>();
            for (int k = 0, turns = 1 + random.nextInt(3); k < turns; k++) {
                m.add(new ChatMessage("user", "q" + i + "." + k + " " + "?".repeat(random.nextInt(20))));
                m.add(new ChatMessage("assistant", "a" + i + "." + k + " " + "!".repeat(random.nextInt(30))));
            }
            out.add(Conversation.of("c" + i, m));
        }
        return out;
    }

    private static SftExample example(int tag, int length) {
        int[] ids = new int[length];
        int[] labels = new int[length];
        for (int t = 0; t < length; t++) {
            ids[t] = tag * 1000 + t;
            labels[t] = t == 0 || t % 3 == 1 ? SftExample.IGNORE : ids[t];
        }
        return new SftExample(ids, labels);
    }

    private static void assertSameBatch(SftBatch a, SftBatch b) {
        assertEquals(a.B(), b.B());
        assertEquals(a.T(), b.T());
        assertArrayEquals(a.ids(), b.ids());
        assertArrayEquals(a.labels(), b.labels());
        assertArrayEquals(a.mask(), b.mask());
        assertArrayEquals(a.positions(), b.positions());
        assertArrayEquals(a.segments(), b.segments());
    }

    @Test
    void padEqualToEosNeverMasksTheRealEosOutOfTheLoss() {
        try (var m = SftFixtures.smolLm2(dir)) {
            int eos = m.tokenizer().eosId().getAsInt();
            int pad = m.tokenizer().padId().getAsInt();
            assertEquals(eos, pad, "SmolLM2's tokenizer pads with <|im_end|>, its EOS");
            List<Conversation> chats = List.of(
                    Conversation.of("short", List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"))),
                    Conversation.of("long", List.of(new ChatMessage("user", "Where is my parcel? It is late."),
                            new ChatMessage("assistant", "It ships today."), new ChatMessage("user", "Thanks"),
                            new ChatMessage("assistant", "Welcome"))));
            SftDataset d = SftDataset.encode(chats, 0, m.encoder(), SftDataConfig.defaults(512));
            SftBatch b = SftBatches.padded(d.examples(), 2, pad, 1).batch(0, 0);
            assertEquals(2, b.B());
            assertNull(b.segments());
            int paddingSeen = 0;
            for (int r = 0; r < b.B(); r++) {
                int real = 0;
                while (real < b.T() && b.mask()[r * b.T() + real] == 1) {
                    real++;
                }
                int length = real;
                SftExample e = d.examples().stream().filter(x -> x.length() == length).findFirst().orElseThrow();
                assertArrayEquals(e.labels(), Arrays.copyOfRange(b.labels(), r * b.T(), r * b.T() + length), "real labels unchanged");
                assertEquals(eos, b.labels()[r * b.T() + length - 1], "the reply's final <|im_end|> is a target");
                long eosTargets = Arrays.stream(b.labels(), r * b.T(), r * b.T() + length).filter(l -> l == eos).count();
                assertEquals(e == d.examples().get(0) ? 1 : 2, eosTargets, "one EOS target per reply");
                for (int t = length; t < b.T(); t++) {
                    assertEquals(pad, b.ids()[r * b.T() + t], "padding holds the pad id, equal to EOS");
                    assertEquals(SftExample.IGNORE, b.labels()[r * b.T() + t], "yet padding is never a target");
                    assertEquals(0, b.mask()[r * b.T() + t]);
                    assertEquals(0, b.positions()[r * b.T() + t]);
                    paddingSeen++;
                }
            }
            assertTrue(paddingSeen > 0, "the shorter example is padded with EOS ids");
        }
    }

    @Test
    void paddedEpochsAreReproducibleShuffledAndCoverEveryExampleOnce() {
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            examples.add(example(i + 1, 3 + i % 4));
        }
        SftBatches batches = SftBatches.padded(examples, 3, 0, 42);
        assertEquals(4, batches.batchesPerEpoch());
        assertEquals(3, batches.maxRows());
        assertEquals(6, batches.maxLength());
        List<List<Integer>> orders = new ArrayList<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> order = new ArrayList<>();
            for (int step = 0; step < 4; step++) {
                SftBatch b = batches.batch(epoch, step);
                assertEquals(step == 3 ? 1 : 3, b.B(), "the last batch holds the rest");
                int longest = 0;
                for (int r = 0; r < b.B(); r++) {
                    int tag = b.ids()[r * b.T()] / 1000;
                    order.add(tag);
                    SftExample e = examples.get(tag - 1);
                    longest = Math.max(longest, e.length());
                    assertArrayEquals(e.ids(), Arrays.copyOfRange(b.ids(), r * b.T(), r * b.T() + e.length()));
                    assertArrayEquals(e.labels(), Arrays.copyOfRange(b.labels(), r * b.T(), r * b.T() + e.length()));
                    assertArrayEquals(new int[] {0, 1, 2}, Arrays.copyOfRange(b.positions(), r * b.T(), r * b.T() + 3));
                }
                assertEquals(longest, b.T(), "padded to the longest in the batch");
            }
            assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), order.stream().sorted().toList(), "each example once per epoch");
            orders.add(order);
        }
        assertFalse(orders.get(0).equals(orders.get(1)) && orders.get(1).equals(orders.get(2)), "epochs are reshuffled");
        SftBatches again = SftBatches.padded(examples, 3, 0, 42);
        assertSameBatch(batches.batch(2, 1), again.batch(2, 1)); // asked first, with no earlier epoch
        assertSameBatch(batches.batch(0, 0), again.batch(0, 0));
        SftBatches otherSeed = SftBatches.padded(examples, 3, 0, 43);
        assertFalse(Arrays.equals(batches.batch(0, 0).ids(), otherSeed.batch(0, 0).ids())
                && Arrays.equals(batches.batch(0, 1).ids(), otherSeed.batch(0, 1).ids()), "the seed decides the order");
    }

    @Test
    void resumingAtAnEpochAndStepYieldsTheSameBatchesAsAnUninterruptedRun() {
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            examples.add(example(i + 1, 2 + i % 9));
        }
        for (SftBatches batches : List.of(SftBatches.padded(examples, 4, 0, 7), SftBatches.packed(examples, 2, 16, 0, 7))) {
            List<SftBatch> uninterrupted = new ArrayList<>();
            for (int epoch = 0; epoch < 2; epoch++) {
                batches.epoch(epoch, 0).forEachRemaining(uninterrupted::add);
            }
            int perEpoch = batches.batchesPerEpoch();
            // a fresh process resumes at epoch 1, step 2
            SftBatches resumed = batches.isPacked() ? SftBatches.packed(examples, 2, 16, 0, 7) : SftBatches.padded(examples, 4, 0, 7);
            Iterator<SftBatch> it = resumed.epoch(1, 2);
            for (int step = 2; step < perEpoch; step++) {
                assertSameBatch(uninterrupted.get(perEpoch + step), it.next());
            }
            assertFalse(it.hasNext());
        }
    }

    @Test
    void packingKeepsEveryExamplesLabelsAndRestartsPositionsAndSegments() {
        try (var m = SftFixtures.smolLm2(dir)) {
            List<SftExample> examples = SftDataset.encode(conversations(40, 3), 0, m.encoder(), SftDataConfig.defaults(256)).examples();
            int T = 256;
            SftBatches packed = SftBatches.packed(examples, 3, T, m.tokenizer().padId().getAsInt(), 5);
            assertTrue(packed.rowsPerEpoch() < examples.size(), "several examples share a row");
            assertTrue(packed.fill() > 0.7, "first-fit fills the rows: " + packed.fill()); // long examples (SmolLM2 adds its system prompt) leave gaps
            for (int epoch = 0; epoch < 2; epoch++) {
                int[] seen = new int[examples.size()];
                for (int step = 0; step < packed.batchesPerEpoch(); step++) {
                    SftBatch b = packed.batch(epoch, step);
                    assertEquals(T, b.T());
                    for (int r = 0; r < b.B(); r++) {
                        int at = r * T;
                        int[] members = packed.examplesIn(epoch, step, r);
                        for (int s = 0; s < members.length; s++) {
                            SftExample e = examples.get(members[s]);
                            int n = e.length();
                            seen[members[s]]++;
                            assertArrayEquals(e.ids(), Arrays.copyOfRange(b.ids(), at, at + n));
                            assertArrayEquals(e.labels(), Arrays.copyOfRange(b.labels(), at, at + n), "labels of a packed example are its own");
                            for (int t = 0; t < n; t++) {
                                assertEquals(t, b.positions()[at + t], "positions restart per example");
                                assertEquals(s, b.segments()[at + t], "segment = the example's place in the row");
                                assertEquals(1, b.mask()[at + t]);
                            }
                            at += n;
                        }
                        for (int t = at; t < (r + 1) * T; t++) {
                            assertEquals(-1, b.segments()[t]);
                            assertEquals(0, b.mask()[t]);
                            assertEquals(SftExample.IGNORE, b.labels()[t]);
                        }
                    }
                }
                for (int count : seen) {
                    assertEquals(1, count, "every example exactly once per epoch");
                }
            }
        }
    }

    @Test
    void packingIsFirstFitInTheSeededOrder() {
        List<SftExample> examples = new ArrayList<>();
        Random random = new Random(11);
        for (int i = 0; i < 300; i++) {
            examples.add(example(i + 1, 2 + random.nextInt(40)));
        }
        int T = 64;
        SftBatches packed = SftBatches.packed(examples, 1, T, 0, 9);
        // naive first fit, the definition
        List<List<Integer>> rows = new ArrayList<>();
        List<Integer> room = new ArrayList<>();
        for (int index : SftBatches.permutation(examples.size(), SftBatches.mix(9, -1))) {
            int n = examples.get(index).length();
            int r = 0;
            while (r < rows.size() && room.get(r) < n) {
                r++;
            }
            if (r == rows.size()) {
                rows.add(new ArrayList<>());
                room.add(T);
            }
            rows.get(r).add(index);
            room.set(r, room.get(r) - n);
        }
        assertEquals(rows.size(), packed.rowsPerEpoch());
        List<List<Integer>> actual = new ArrayList<>();
        for (int step = 0; step < packed.batchesPerEpoch(); step++) {
            actual.add(Arrays.stream(packed.examplesIn(0, step, 0)).boxed().toList());
        }
        assertEquals(rows.stream().map(Object::toString).sorted().toList(), actual.stream().map(Object::toString).sorted().toList());
    }

    @Test
    void preferenceBatchesHoldTheChosenRowsThenTheRejectedRowsOfTheSamePairs() {
        List<PreferenceExample> pairs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            pairs.add(new PreferenceExample(example(100 + i, 4 + i % 3), example(200 + i, 3 + i % 5)));
        }
        SftBatches batches = SftBatches.preferencePairs(pairs, 3, 0, 4);
        assertEquals(3, batches.batchesPerEpoch());
        assertEquals(6, batches.maxRows());
        int[] seen = new int[pairs.size()];
        for (int step = 0; step < 3; step++) {
            SftBatch b = batches.batch(1, step);
            int P = b.B() / 2;
            assertEquals(step == 2 ? 1 : 3, P);
            for (int r = 0; r < P; r++) {
                int pair = batches.examplesIn(1, step, r)[0];
                assertEquals(pair, batches.examplesIn(1, step, P + r)[0], "row r and row P + r are one pair");
                seen[pair]++;
                SftExample chosen = pairs.get(pair).chosen();
                SftExample rejected = pairs.get(pair).rejected();
                assertArrayEquals(chosen.labels(), Arrays.copyOfRange(b.labels(), r * b.T(), r * b.T() + chosen.length()));
                assertArrayEquals(rejected.labels(), Arrays.copyOfRange(b.labels(), (P + r) * b.T(), (P + r) * b.T() + rejected.length()));
            }
        }
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1}, seen);
    }

    @Test
    void packingRejectsExamplesThatCannotBePackedSafely() {
        SftExample firstLabelled = new SftExample(new int[] {5, 6, 7}, new int[] {5, 6, 7});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SftBatches.packed(List.of(example(1, 4), firstLabelled), 2, 16, 0, 1));
        assertTrue(e.getMessage().startsWith("packing: example 1 labels its first token"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SftBatches.packed(List.of(example(1, 17)), 2, 16, 0, 1));
        assertTrue(e.getMessage().contains("example 0 has 17 tokens, more than the row length 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SftBatches.padded(List.of(), 2, 0, 1));
        e = assertThrows(IllegalArgumentException.class, () -> SftBatches.padded(List.of(example(1, 3)), 2, 0, 1).batch(0, 1));
        assertTrue(e.getMessage().contains("an epoch has 1 batches"), e.getMessage());
    }
}
