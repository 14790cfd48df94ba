package io.supportlm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    @Test
    void linearWarmupThenLinearDecayLikeTransformers() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 10, 110);
        assertEquals(0.0, s.at(1), 1e-12); // transformers' first step uses lr 0 with warm-up
        assertEquals(0.5, s.at(6), 1e-12);
        assertEquals(1.0, s.at(11), 1e-12);
        assertEquals(0.5, s.at(61), 1e-12);
        assertEquals(0.0, s.at(111), 1e-12);
    }

    @Test
    void cosineDecaysAlongAHalfCosine() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 2.0, 0, 100);
        assertEquals(2.0, s.at(1), 1e-12);
        assertEquals(1.0, s.at(51), 1e-12);
        assertEquals(0.0, s.at(101), 1e-12);
    }

    @Test
    void inconsistentStepsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(LrSchedule.Kind.LINEAR, 1e-3, 20, 10));
    }
}
