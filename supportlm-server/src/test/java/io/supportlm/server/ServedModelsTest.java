package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServedModelsTest {
    @Test
    void lookupsAnswerWithTheRightStatusAndField() {
        ServedModels models = TinyModels.models();
        assertEquals("support-v1", models.classifier(null).name());
        assertEquals("support-v2", models.classifier("support-v2").name());
        ApiException noGenerator = assertThrows(ApiException.class, () -> models.generator(null));
        assertEquals(400, noGenerator.status());
        assertEquals("model", noGenerator.param());
        ApiException classifierOnly = assertThrows(ApiException.class, () -> models.generator("support-v1"));
        assertTrue(classifierOnly.getMessage().contains("does not generate text"), classifierOnly.getMessage());
        assertEquals(404, assertThrows(ApiException.class, () -> models.find("nope")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> models.find("a/../b")).status());
    }

    @Test
    void namesAreUniqueAndAdaptersNeedTheirBase() {
        assertThrows(IllegalArgumentException.class, () -> new ServedModels(List.of(
                ServedModel.base("m", null, null), ServedModel.base("m", null, null))));
        IllegalArgumentException orphan = assertThrows(IllegalArgumentException.class, () -> new ServedModels(List.of(
                ServedModel.base("m", null, null), ServedModel.adapter("a", "other", null, null))));
        assertTrue(orphan.getMessage().contains("names base 'other'"), orphan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ServedModel.base("../m", null, null));
    }
}
