package io.supportlm.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A safetensors file, memory-mapped read-only and read lazily: opening parses and validates the
 * header only; tensor views slice the mapping without copying.
 *
 * <p>The header is untrusted input and is checked the way the reference implementation
 * (huggingface/safetensors, {@code Metadata::validate}) checks it: the u64 header length is at most
 * 100 MB and fits the file; the header is UTF-8 JSON starting with an object (trailing spaces
 * allowed, nothing else after it, no duplicate keys); {@code __metadata__} maps strings to strings;
 * every other entry has a known dtype, a shape of non-negative integers and {@code data_offsets}
 * {@code [begin, end]}; sorted by offset the entries tile the data buffer exactly (no hole, no
 * overlap, nothing after the last one); each byte length equals elements x dtype size. Any failure
 * is a {@link CheckpointFormatException} naming the file and tensor.
 */
public final class SafetensorsFile implements WeightStore {
    /** The reference implementation's cap on the header size. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Element sizes in bits of every dtype safetensors defines (sub-byte types included). */
    private static final Map<String, Integer> DTYPE_BITS = Map.ofEntries(
            Map.entry("BOOL", 8), Map.entry("U8", 8), Map.entry("I8", 8),
            Map.entry("F8_E5M2", 8), Map.entry("F8_E4M3", 8), Map.entry("F8_E8M0", 8),
            Map.entry("F4", 4), Map.entry("F6_E2M3", 6), Map.entry("F6_E3M2", 6),
            Map.entry("I16", 16), Map.entry("U16", 16), Map.entry("F16", 16), Map.entry("BF16", 16),
            Map.entry("I32", 32), Map.entry("U32", 32), Map.entry("F32", 32), Map.entry("C64", 64),
            Map.entry("F64", 64), Map.entry("I64", 64), Map.entry("U64", 64));

    private final Path path;
    private final Arena arena;
    private final MemorySegment data; // the data buffer: the file after 8 + N bytes
    private final Map<String, TensorInfo> tensors; // sorted by name
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates a file; the mapping lives until {@link #close()}. */
    public static SafetensorsFile open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new CheckpointFormatException(path, "not a safetensors file: " + fileSize
                        + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new CheckpointFormatException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > fileSize - 8) {
                throw new CheckpointFormatException(path, "header length " + headerLength
                        + " does not fit the file of " + fileSize + " bytes (truncated?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(ch, header, 8);
            long dataStart = 8 + headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, header.array(), fileSize - dataStart, metadata);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
                MemorySegment data = whole.asSlice(dataStart).asReadOnly();
                return new SafetensorsFile(path, arena, data, tensors, Collections.unmodifiableMap(metadata));
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read safetensors file " + path + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    /** Parses and validates a header; package-private so tests can reach the rules directly. */
    static Map<String, TensorInfo> parseHeader(Path path, byte[] headerBytes, long dataLength,
            Map<String, String> metadataOut) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(path, "header is not valid UTF-8");
        }
        if (!text.startsWith("{")) {
            throw new CheckpointFormatException(path, "header must be a JSON object starting with '{'");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(path, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointFormatException(path, "header must be a JSON object");
        }
        List<TensorInfo> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals("__metadata__")) {
                readMetadata(path, value, metadataOut);
            } else {
                entries.add(readEntry(path, name, value));
            }
        }
        checkLayout(path, entries, dataLength);
        Map<String, TensorInfo> byName = new TreeMap<>();
        for (TensorInfo t : entries) {
            byName.put(t.name(), t);
        }
        return Collections.unmodifiableMap(byName);
    }

    private static void readMetadata(Path path, JsonNode value, Map<String, String> out) {
        if (value.isNull()) {
            return;
        }
        if (!value.isObject()) {
            throw new CheckpointFormatException(path, "__metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : value.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointFormatException(path, "__metadata__ value of '" + e.getKey()
                        + "' must be a string, got " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path path, String name, JsonNode node) {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) {
            throw new CheckpointFormatException(path, where + "entry must be an object with dtype, shape and data_offsets");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new CheckpointFormatException(path, where + "unknown field '" + key + "'");
            }
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new CheckpointFormatException(path, where + "dtype must be a string");
        }
        String dtype = dtypeNode.textValue();
        if (!DTYPE_BITS.containsKey(dtype)) {
            throw new CheckpointFormatException(path, where + "unknown dtype '" + dtype + "'");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new CheckpointFormatException(path, where + "shape must be an array of integers");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new CheckpointFormatException(path, where + "shape dimension " + i
                        + " must be a non-negative integer, got " + d);
            }
            shape[i] = d.longValue();
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new CheckpointFormatException(path, where + "data_offsets must be [begin, end]");
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode o = offsets.get(i);
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
                throw new CheckpointFormatException(path, where + "data_offsets must be non-negative integers, got " + offsets);
            }
            be[i] = o.longValue();
        }
        if (be[1] < be[0]) {
            throw new CheckpointFormatException(path, where + "data_offsets end " + be[1] + " is before begin " + be[0]);
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, be[0], be[1]);
        long elements;
        try {
            elements = info.elementCount();
            long bits = Math.multiplyExact(elements, (long) DTYPE_BITS.get(dtype));
            if (bits % 8 != 0) {
                throw new CheckpointFormatException(path, where + elements + " elements of " + dtype
                        + " do not fill whole bytes");
            }
            if (bits / 8 != info.byteLength()) {
                throw new CheckpointFormatException(path, where + "shape " + java.util.Arrays.toString(shape) + " of "
                        + dtype + " needs " + bits / 8 + " bytes, data_offsets give " + info.byteLength());
            }
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(path, where + "shape " + java.util.Arrays.toString(shape)
                    + " is too large (element count overflows)");
        }
        return info;
    }

    /** Entries sorted by offset must tile [0, dataLength) exactly, as the reference requires. */
    private static void checkLayout(Path path, List<TensorInfo> entries, long dataLength) {
        List<TensorInfo> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        String previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() != expected) {
                String what = t.begin() < expected
                        ? "overlaps tensor '" + previous + "' (begins at " + t.begin() + ", before " + expected + ")"
                        : "leaves a hole: begins at " + t.begin() + ", the previous data ends at " + expected;
                throw new CheckpointFormatException(path, "tensor '" + t.name() + "' " + what);
            }
            expected = t.end();
            previous = t.name();
        }
        if (expected != dataLength) {
            String what = expected > dataLength
                    ? "tensor '" + previous + "' ends at " + expected + ", beyond the data buffer of " + dataLength
                            + " bytes (truncated file?)"
                    : "the tensors cover " + expected + " bytes but the data buffer has " + dataLength;
            throw new CheckpointFormatException(path, what);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /** All header entries, sorted by name. */
    public Map<String, TensorInfo> entries() {
        return tensors;
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointFormatException(path, "no tensor named '" + name + "' (the file holds "
                    + tensors.size() + " tensors)");
        }
        return t;
    }

    @Override
    public MemorySegment bytes(String name) {
        TensorInfo t = info(name);
        return data.asSlice(t.begin(), t.byteLength());
    }

    @Override
    public Tensor tensor(String name) {
        TensorInfo t = info(name);
        DType dtype = t.engineDType().filter(DType::isFloat).orElseThrow(() -> new CheckpointFormatException(path,
                "tensor '" + name + "' has dtype " + t.dtype() + ", not a float dtype (F32, BF16, F16); read it with bytes()"));
        long[] shape = t.shape();
        int[] dims = new int[shape.length];
        for (int i = 0; i < dims.length; i++) {
            if (shape[i] == 0) {
                throw new CheckpointFormatException(path, "tensor '" + name + "' has no elements (shape "
                        + java.util.Arrays.toString(shape) + "); read it with bytes()");
            }
            if (shape[i] > Integer.MAX_VALUE) {
                throw new CheckpointFormatException(path, "tensor '" + name + "' dimension " + i + " = " + shape[i]
                        + " exceeds the engine's int range");
            }
            dims[i] = (int) shape[i];
        }
        return Tensor.of(dtype, data.asSlice(t.begin(), t.byteLength()), dims);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Unmaps the file; views taken from it become invalid. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
