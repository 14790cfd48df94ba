package io.supportlm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written by numpy alone (make_fixture.py, an independent writer with the reference
 * library's tensor order and unaligned offsets) reads back to the values numpy decodes: f32 as is,
 * f16 including subnormals and infinities, bf16 rounded to nearest even, and the integer types.
 */
class NumpyFixtureTest {
    @TempDir
    Path dir;

    private Path resource(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream(name)) {
            Path p = dir.resolve(name);
            Files.copy(in, p);
            return p;
        }
    }

    private static float value(JsonNode n) {
        return n.isTextual() ? (n.textValue().startsWith("-") ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY) : (float) n.doubleValue();
    }

    @Test
    void readsWhatNumpyWrote() throws IOException {
        JsonNode expected = new ObjectMapper().readTree(Files.readString(resource("numpy_fixture.expected.json")));
        try (SafetensorsFile f = SafetensorsFile.open(resource("numpy_fixture.safetensors"))) {
            assertEquals(Map.of("format", "np", "source", "make_fixture.py"), f.metadata());
            assertEquals(8, f.names().size());
            for (String name : new String[] {"dense.weight", "half", "brain"}) {
                float[] values = f.tensor(name).toFloatArray();
                JsonNode want = expected.get(name);
                assertEquals(want.size(), values.length, name);
                for (int i = 0; i < values.length; i++) {
                    assertEquals(Float.floatToIntBits(value(want.get(i))), Float.floatToIntBits(values[i]), name + "[" + i + "]");
                }
            }
            assertEquals(DType.BF16, f.tensor("brain").dtype());
            for (String name : new String[] {"ids", "ints", "bytes", "signed", "mask"}) {
                JsonNode want = expected.get(name);
                long[] values = f.toLongArray(name);
                long[] wanted = new long[want.size()];
                for (int i = 0; i < wanted.length; i++) {
                    wanted[i] = want.get(i).longValue();
                }
                assertArrayEquals(wanted, values, name);
            }
            expected.get("shapes").properties().forEach(e -> {
                long[] shape = new long[e.getValue().size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = e.getValue().get(i).longValue();
                }
                assertArrayEquals(shape, f.info(e.getKey()).shape(), e.getKey());
            });
        }
    }
}
