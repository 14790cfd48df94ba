package io.supportlm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file assembled byte by byte, independent of the writer: u64 length, JSON, LE data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        return buf.array();
    }

    static byte[] le(float... values) {
        ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buf.putFloat(v);
        }
        return buf.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    CheckpointFormatException rejects(String header, byte[] data) throws IOException {
        Path p = write("bad.safetensors", file(header, data));
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    @Test
    void readsAHandAssembledFileWithoutCopying() throws IOException {
        byte[] ids = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-7).putLong(1L << 40).array();
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]},"
                + "\"h\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[32,34]}}   ";
        byte[] bf16One = {(byte) 0x80, 0x3f}; // 1.0 in bf16 is 0x3f80, little-endian
        Path p = write("m.safetensors", file(header, concat(le(1f, -2f, 3.5f, 0.25f), ids, bf16One)));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(java.util.List.of("h", "ids", "w"), java.util.List.copyOf(f.names()));
            Tensor w = f.tensor("w");
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new int[] {2, 2}, w.shape().dims());
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 0.25f}, w.toFloatArray());
            assertTrue(w.segment().isMapped(), "views slice the memory map");
            assertArrayEquals(new long[] {-7, 1L << 40}, f.toLongArray("ids"));
            assertEquals(1f, f.tensor("h").getFloat(0));
            assertEquals(new TensorInfo("ids", "I64", new long[] {2}, 16, 32), f.info("ids"));
        }
    }

    @Test
    void zeroSizeAndScalarTensorsAreLegal() throws IOException {
        String header = "{\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},"
                + "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = SafetensorsFile.open(write("z.safetensors", file(header, le(42f))))) {
            assertEquals(0, f.bytes("empty").byteSize());
            assertEquals(0, f.info("empty").elementCount());
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> f.tensor("empty"));
            assertTrue(e.getMessage().contains("'empty' has no elements"), e.getMessage());
            assertEquals(42f, f.tensor("scalar").getFloat(0));
            assertEquals(0, f.tensor("scalar").shape().rank());
        }
    }

    @Test
    void dtypesOutsideTheEngineAreListedButNotViewed() throws IOException {
        String header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        try (SafetensorsFile f = SafetensorsFile.open(write("d.safetensors", file(header, new byte[8])))) {
            assertEquals("F64", f.info("d").dtype());
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> f.tensor("d"));
            assertTrue(e.getMessage().contains("'d' has dtype F64"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> f.toLongArray("d"));
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = SafetensorsFile.open(write("a.safetensors", file(header, le(1f))))) {
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> f.tensor("lm_head.weight"));
            assertTrue(e.getMessage().contains("a.safetensors") && e.getMessage().contains("'lm_head.weight'"), e.getMessage());
        }
    }

    @Test
    void rejectsFilesShorterThanTheLengthField() throws IOException {
        for (int n = 0; n < 8; n++) {
            Path p = write("short.safetensors", new byte[n]);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(p));
            assertTrue(e.getMessage().contains("shorter than the 8-byte header length"), e.getMessage());
        }
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFileOrTheCap() throws IOException {
        byte[] good = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", le(1f));
        for (long n : new long[] {good.length, SafetensorsFile.MAX_HEADER_BYTES + 1, Long.MAX_VALUE, -1}) {
            byte[] bytes = good.clone();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
            Path p = write("len.safetensors", bytes);
            CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(p));
            assertTrue(e.getMessage().contains("header length"), e.getMessage());
        }
    }

    @Test
    void rejectsEveryTruncationOfAValidFile() throws IOException {
        byte[] good = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", le(1f, 2f));
        for (int n = 0; n < good.length; n++) {
            Path p = write("cut.safetensors", Arrays.copyOf(good, n));
            assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(p), "cut at " + n);
        }
    }

    @Test
    void rejectsOverlapsHolesAndTrailingBytes() throws IOException {
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertTrue(rejects(overlap, le(1f, 2f)).getMessage().contains("overlaps tensor 'a'"));
        String hole = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertTrue(rejects(hole, le(1f, 2f, 3f)).getMessage().contains("tensor 'b' leaves a hole"));
        String one = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertTrue(rejects(one, le(1f, 2f)).getMessage().contains("cover 4 bytes but the data buffer has 8"));
        String beyond = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertTrue(rejects(beyond, le(1f)).getMessage().contains("beyond the data buffer"));
        String reversed = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
        assertTrue(rejects(reversed, le(1f)).getMessage().contains("before begin"));
    }

    @Test
    void rejectsByteLengthsThatDisagreeWithDtypeAndShape() throws IOException {
        String wrong = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        CheckpointFormatException e = rejects(wrong, le(1f, 2f));
        assertTrue(e.getMessage().contains("tensor 'a'") && e.getMessage().contains("needs 6 bytes, data_offsets give 8"),
                e.getMessage());
    }

    @Test
    void rejectsShapesWhoseProductOverflows() throws IOException {
        String huge = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}";
        assertTrue(rejects(huge, le(1f)).getMessage().contains("overflows"));
        String bigButFinite = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000,1000000],\"data_offsets\":[0,4]}}";
        assertTrue(rejects(bigButFinite, le(1f)).getMessage().contains("needs"));
        String notLong = "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,4]}}";
        assertTrue(rejects(notLong, le(1f)).getMessage().contains("non-negative integer"));
    }

    @Test
    void rejectsMalformedJsonAndEntries() throws IOException {
        byte[] d = le(1f);
        String entry = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertTrue(rejects("{" + entry, d).getMessage().contains("not valid JSON"));
        assertTrue(rejects("[1,2]", d).getMessage().contains("JSON object"));
        assertTrue(rejects("  {" + entry + "}", d).getMessage().contains("starting with '{'"));
        assertTrue(rejects("{" + entry + "} {}", d).getMessage().contains("not valid JSON"));
        assertTrue(rejects("{" + entry + "," + entry + "}", d).getMessage().contains("Duplicate field 'a'"));
        assertTrue(rejects("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", d).getMessage()
                .contains("tensor 'a': unknown dtype 'Q4'"));
        assertTrue(rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d).getMessage()
                .contains("non-negative integer"));
        assertTrue(rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", d).getMessage()
                .contains("non-negative integer"));
        assertTrue(rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", d).getMessage().contains("data_offsets"));
        assertTrue(rejects("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d).getMessage().contains("dtype"));
        assertTrue(rejects("{\"a\":[1]}", d).getMessage().contains("tensor 'a'"));
        assertTrue(rejects("{\"__metadata__\":{\"k\":1}," + entry + "}", d).getMessage().contains("must be a string"));
        byte[] badUtf8 = concat("{\"".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff},
                "\":{}}".getBytes(StandardCharsets.UTF_8));
        Path p = write("utf.safetensors", concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(badUtf8.length).array(), badUtf8));
        assertTrue(assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(p)).getMessage()
                .contains("UTF-8"));
    }

    @Test
    void deeplyNestedOrHugeJsonIsRejectedNotOverflowed() throws IOException {
        String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertTrue(rejects(deep, new byte[0]).getMessage().contains("not valid JSON"));
        String longNumber = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + "9".repeat(5000) + "],\"data_offsets\":[0,4]}}";
        rejects(longNumber, le(1f));
    }

    private static final String JSON_CHARS = "{}[],:\"0123456789 ";

    @Test
    void randomCorruptionNeverEscapesAsAnotherException() throws IOException {
        byte[] good = file("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}", concat(le(1f, 2f), le(3f)));
        Random random = new Random(1234);
        Path p = dir.resolve("fuzz.safetensors");
        int opened = 0;
        for (int trial = 0; trial < 400; trial++) {
            byte[] bytes = good.clone();
            int flips = 1 + random.nextInt(3);
            for (int i = 0; i < flips; i++) {
                int at = random.nextInt(bytes.length);
                bytes[at] = (byte) (random.nextBoolean() ? random.nextInt(256) : JSON_CHARS.charAt(random.nextInt(JSON_CHARS.length())));
            }
            Files.write(p, bytes);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (String name : f.names()) {
                    f.bytes(name); // every listed tensor is readable within bounds
                }
                opened++;
            } catch (CheckpointFormatException expected) {
                assertTrue(expected.getMessage().startsWith(p.toString()), expected.getMessage());
            }
        }
        assertTrue(opened < 400, "corruption was detected at least sometimes");
    }
}
