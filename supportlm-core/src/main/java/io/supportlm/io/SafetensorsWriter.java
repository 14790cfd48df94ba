package io.supportlm.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects tensors and metadata and writes them as one safetensors file. Tensors are laid out in
 * the order they were added, the header is padded with spaces to a multiple of 8 bytes (as the
 * reference writer does, so the data buffer starts aligned), and the file appears atomically: it is
 * written to a temporary file in the target directory, flushed, then renamed over the target.
 *
 * <p>Data is copied only at {@link #write}: heap f32 tensors are encoded little-endian, other
 * tensors' memory (already little-endian) is copied as is.
 */
public final class SafetensorsWriter {
    private sealed interface Source permits FloatSource, SegmentSource {
        long byteLength();
    }

    private record FloatSource(float[] values) implements Source {
        public long byteLength() {
            return 4L * values.length;
        }
    }

    private record SegmentSource(MemorySegment bytes) implements Source {
        public long byteLength() {
            return bytes.byteSize();
        }
    }

    private record Entry(String name, DType dtype, long[] shape, Source source) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new LinkedHashSet<>();

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds an f32 tensor from values in row-major order. */
    public SafetensorsWriter add(String name, float[] values, int... dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(dims));
            }
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + values.length
                    + " values do not match shape " + Arrays.toString(dims));
        }
        return add(new Entry(name, DType.F32, Arrays.stream(dims).asLongStream().toArray(), new FloatSource(values)));
    }

    /** Adds a tensor in its own dtype (a heap f32 tensor is encoded little-endian at write time). */
    public SafetensorsWriter add(String name, Tensor tensor) {
        long[] shape = Arrays.stream(tensor.shape().dims()).asLongStream().toArray();
        Source source = tensor.isHeapF32() ? new FloatSource(tensor.array()) : new SegmentSource(tensor.segment());
        return add(new Entry(name, tensor.dtype(), shape, source));
    }

    /** Adds raw little-endian bytes of any engine dtype; their length must be elements x dtype size. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] littleEndianBytes) {
        return add(name, dtype, shape, MemorySegment.ofArray(littleEndianBytes.clone()));
    }

    /** Adds raw little-endian bytes from memory (not copied until {@link #write}). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, MemorySegment littleEndianBytes) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        long expected = Math.multiplyExact(n, (long) dtype.byteSize());
        if (littleEndianBytes.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + expected + " bytes, got " + littleEndianBytes.byteSize());
        }
        return add(new Entry(name, dtype, shape.clone(), new SegmentSource(littleEndianBytes)));
    }

    private SafetensorsWriter add(Entry e) {
        if (e.name().equals("__metadata__") || e.name().isEmpty()) {
            throw new IllegalArgumentException("'" + e.name() + "' cannot be a tensor name");
        }
        if (!names.add(e.name())) {
            throw new IllegalArgumentException("tensor '" + e.name() + "' was added twice");
        }
        entries.add(e);
        return this;
    }

    /** The header bytes, padded with spaces to a multiple of 8. */
    byte[] header() {
        ObjectNode root = SafetensorsFile.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode node = root.putObject(e.name());
            node.put("dtype", e.dtype().safetensorsName());
            ArrayNode shape = node.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            long end = offset + e.source().byteLength();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = SafetensorsFile.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Writes the file atomically (temporary file in the same directory, then a rename). */
    public void write(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            // createTempFile makes the file private (0600); a checkpoint should read like any other file.
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] header = header();
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                for (Entry e : entries) {
                    switch (e.source()) {
                        case FloatSource f -> writeFloats(ch, f.values());
                        case SegmentSource s -> writeSegment(ch, s.bytes());
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write safetensors file " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    private static final int CHUNK = 1 << 20;

    private static void writeFloats(FileChannel ch, float[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; ) {
            buf.clear();
            int n = Math.min(values.length - i, CHUNK / 4);
            buf.asFloatBuffer().put(values, i, n);
            buf.limit(4 * n);
            writeFully(ch, buf);
            i += n;
        }
    }

    private static void writeSegment(FileChannel ch, MemorySegment seg) throws IOException {
        for (long off = 0; off < seg.byteSize(); off += CHUNK) {
            long n = Math.min(CHUNK, seg.byteSize() - off);
            // copy through a heap buffer: works for heap, native and read-only mapped segments alike
            byte[] chunk = seg.asSlice(off, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            writeFully(ch, ByteBuffer.wrap(chunk));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
