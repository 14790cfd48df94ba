package io.supportlm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesTheReferenceByteLayout() throws IOException {
        Path p = dir.resolve("w.safetensors");
        new SafetensorsWriter().metadata("format", "pt").add("w", new float[] {1f, -2f}, 2).write(p);
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        String padded = json + " ".repeat((8 - json.length() % 8) % 8);
        byte[] expected = SafetensorsFileTest.file(padded, SafetensorsFileTest.le(1f, -2f));
        assertArrayEquals(expected, Files.readAllBytes(p));
        long headerLength = java.nio.ByteBuffer.wrap(Files.readAllBytes(p)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8, "the data buffer starts 8-aligned");
    }

    @Test
    void roundTripsEveryDtype() {
        Path p = dir.resolve("all.safetensors");
        float[] values = {0.5f, -1.25f, 3f, 1e-3f, 7f, -0.0f};
        try (Arena arena = Arena.ofConfined()) {
            Tensor bf16 = Tensor.convert(values, DType.BF16, arena, 2, 3);
            Tensor f16 = Tensor.convert(values, DType.F16, arena, 3, 2);
            new SafetensorsWriter()
                    .metadata("note", "all dtypes")
                    .add("f32", values, 2, 3)
                    .add("f32_tensor", Tensor.wrap(values.clone(), 6))
                    .add("bf16", bf16)
                    .add("f16", f16)
                    .add("i8", DType.I8, new long[] {3}, new byte[] {-128, 0, 127})
                    .add("u8", DType.U8, new long[] {2}, new byte[] {(byte) 255, 1})
                    .add("i32", DType.I32, new long[] {2}, new byte[] {1, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})
                    .add("i64", DType.I64, new long[] {1}, new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) 0x80})
                    .add("bool", DType.BOOL, new long[] {1, 3}, new byte[] {1, 0, 1})
                    .add("empty", DType.F32, new long[] {0, 5}, new byte[0])
                    .write(p);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertEquals(Map.of("note", "all dtypes"), f.metadata());
                assertArrayEquals(values, f.tensor("f32").toFloatArray());
                assertArrayEquals(values, f.tensor("f32_tensor").toFloatArray());
                assertArrayEquals(bf16.toFloatArray(), f.tensor("bf16").toFloatArray());
                assertArrayEquals(f16.toFloatArray(), f.tensor("f16").toFloatArray());
                assertEquals(DType.BF16, f.tensor("bf16").dtype());
                assertArrayEquals(new int[] {3, 2}, f.tensor("f16").shape().dims());
                assertArrayEquals(new long[] {-128, 0, 127}, f.toLongArray("i8"));
                assertArrayEquals(new long[] {255, 1}, f.toLongArray("u8"));
                assertArrayEquals(new long[] {1, -1}, f.toLongArray("i32"));
                assertArrayEquals(new long[] {Long.MIN_VALUE}, f.toLongArray("i64"));
                assertArrayEquals(new long[] {1, 0, 1}, f.toLongArray("bool"));
                assertArrayEquals(new long[] {0, 5}, f.info("empty").shape());
                assertEquals(0, f.bytes("empty").byteSize());
                assertEquals(-128, f.bytes("i8").get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }

    @Test
    void rewritesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("model.safetensors");
        new SafetensorsWriter().add("a", new float[] {1f}, 1).write(p);
        try (SafetensorsFile before = SafetensorsFile.open(p)) {
            // replacing the file while a mapping is open keeps the old mapping valid (rename, not overwrite)
            new SafetensorsWriter().add("b", new float[] {2f, 3f}, 2).write(p);
            assertEquals(1f, before.tensor("a").getFloat(0));
        }
        try (SafetensorsFile after = SafetensorsFile.open(p)) {
            assertEquals(java.util.Set.of("b"), after.names());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the target remains");
        }
    }

    @Test
    void rejectsInconsistentInput() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", new float[] {1f}, 1);
        assertThrows(IllegalArgumentException.class, () -> w.add("a", new float[] {1f}, 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", new float[] {1f, 2f}, 3));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", DType.I32, new long[] {2}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[] {1f}, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.add("d", new float[] {1f}, -1));
        assertTrue(e.getMessage().contains("'d'"), e.getMessage());
    }
}
