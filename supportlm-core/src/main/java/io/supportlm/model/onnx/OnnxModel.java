package io.supportlm.model.onnx;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model that weight import needs: initializers (the weights), nodes (to
 * recover what each anonymous weight is), and the tensor values of {@code Constant} nodes.
 *
 * <p>ONNX files are Protocol Buffers. The wire format is decoded with protobuf-java's
 * {@link CodedInputStream}; the field numbers are those of the ONNX specification's
 * {@code onnx.proto} (ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11,
 * output = 12; NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5;
 * AttributeProto.name = 1, t = 5; TensorProto.dims = 1, data_type = 2, float_data = 4,
 * int32_data = 5, int64_data = 7, name = 8, raw_data = 9, data_location = 14). Fields this reader
 * does not need are skipped, as protobuf readers do.
 */
public final class OnnxModel {
    /** ONNX TensorProto.DataType values this reader converts. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;
    public static final int INT32 = 6;

    /** A tensor from the file: its values as floats (FLOAT) or longs (INT64/INT32). */
    public record OnnxTensor(String name, long[] dims, int dataType, float[] floats, long[] longs) {
        public long size() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /** The single float value of a scalar (or one-element) FLOAT tensor. */
        public float scalar() {
            if (floats == null || floats.length != 1) {
                throw new IllegalArgumentException("ONNX tensor '" + name + "' is not a float scalar");
            }
            return floats[0];
        }
    }

    /** A graph node. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs) {}

    private final Path file;
    private final Map<String, OnnxTensor> initializers;
    private final Map<String, OnnxTensor> constants;
    private final List<Node> nodes;
    private final List<String> graphInputs;
    private final List<String> graphOutputs;

    private OnnxModel(Path file, Map<String, OnnxTensor> initializers, Map<String, OnnxTensor> constants,
                      List<Node> nodes, List<String> graphInputs, List<String> graphOutputs) {
        this.file = file;
        this.initializers = initializers;
        this.constants = constants;
        this.nodes = nodes;
        this.graphInputs = graphInputs;
        this.graphOutputs = graphOutputs;
    }

    /** Reads an ONNX file; a malformed file gives an {@link IllegalArgumentException} naming it. */
    public static OnnxModel read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": ONNX files over 2 GiB keep their weights in external data, which is not supported");
            }
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            Builder b = new Builder(file);
            CodedInputStream in = CodedInputStream.newInstance(buf);
            in.setSizeLimit(Integer.MAX_VALUE);
            boolean sawGraph = false;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                if (field(tag) == 7) {
                    b.readGraph(sub(in));
                    sawGraph = true;
                } else {
                    in.skipField(tag);
                }
            }
            if (!sawGraph) {
                throw new IllegalArgumentException(file + ": not an ONNX model (no graph)");
            }
            return new OnnxModel(file, b.initializers, b.constants, b.nodes, b.inputs, b.outputs);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(file + ": not a valid ONNX file (" + e.getMessage() + ")", e);
        }
    }

    public Path file() {
        return file;
    }

    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<String> graphInputs() {
        return graphInputs;
    }

    public List<String> graphOutputs() {
        return graphOutputs;
    }

    /** The value behind a node input: an initializer or the output of a Constant node, or null. */
    public OnnxTensor valueOf(String name) {
        OnnxTensor t = initializers.get(name);
        return t != null ? t : constants.get(name);
    }

    /** The nodes that read the given tensor name. */
    public List<Node> consumers(String name) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.inputs().contains(name)) {
                out.add(n);
            }
        }
        return out;
    }

    private static int field(int tag) {
        return tag >>> 3;
    }

    private static CodedInputStream sub(CodedInputStream in) throws IOException {
        ByteBuffer bytes = in.readByteBuffer();
        CodedInputStream s = CodedInputStream.newInstance(bytes);
        s.setSizeLimit(Integer.MAX_VALUE);
        return s;
    }

    private static final class Builder {
        final Path file;
        final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        final Map<String, OnnxTensor> constants = new LinkedHashMap<>();
        final List<Node> nodes = new ArrayList<>();
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();

        Builder(Path file) {
            this.file = file;
        }

        void readGraph(CodedInputStream in) throws IOException {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return;
                }
                switch (field(tag)) {
                    case 1 -> readNode(sub(in));
                    case 5 -> {
                        OnnxTensor t = readTensor(sub(in), "initializer");
                        if (initializers.put(t.name(), t) != null) {
                            throw new IllegalArgumentException(file + ": initializer '" + t.name() + "' appears twice");
                        }
                    }
                    case 11 -> inputs.add(readValueInfoName(sub(in)));
                    case 12 -> outputs.add(readValueInfoName(sub(in)));
                    default -> in.skipField(tag);
                }
            }
        }

        void readNode(CodedInputStream in) throws IOException {
            String name = "";
            String op = "";
            List<String> ins = new ArrayList<>();
            List<String> outs = new ArrayList<>();
            OnnxTensor value = null;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                switch (field(tag)) {
                    case 1 -> ins.add(in.readStringRequireUtf8());
                    case 2 -> outs.add(in.readStringRequireUtf8());
                    case 3 -> name = in.readStringRequireUtf8();
                    case 4 -> op = in.readStringRequireUtf8();
                    case 5 -> {
                        OnnxTensor t = readAttributeTensor(sub(in));
                        if (t != null) {
                            value = t;
                        }
                    }
                    default -> in.skipField(tag);
                }
            }
            nodes.add(new Node(name, op, List.copyOf(ins), List.copyOf(outs)));
            if (op.equals("Constant") && value != null && outs.size() == 1) {
                constants.put(outs.get(0), value);
            }
        }

        /** The tensor of a {@code value} attribute (AttributeProto.t), if this attribute holds one. */
        OnnxTensor readAttributeTensor(CodedInputStream in) throws IOException {
            OnnxTensor t = null;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return t;
                }
                if (field(tag) == 5) {
                    t = readTensor(sub(in), "constant");
                } else {
                    in.skipField(tag);
                }
            }
        }

        String readValueInfoName(CodedInputStream in) throws IOException {
            String name = "";
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return name;
                }
                if (field(tag) == 1) {
                    name = in.readStringRequireUtf8();
                } else {
                    in.skipField(tag);
                }
            }
        }

        OnnxTensor readTensor(CodedInputStream in, String kind) throws IOException {
            List<Long> dims = new ArrayList<>();
            int dataType = 0;
            String name = "";
            ByteBuffer raw = null;
            List<Float> floatData = new ArrayList<>();
            List<Long> intData = new ArrayList<>();
            boolean external = false;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                int wire = tag & 7;
                switch (field(tag)) {
                    case 1 -> readPackedOrSingle(in, wire, () -> dims.add(in.readInt64()));
                    case 2 -> dataType = in.readInt32();
                    case 4 -> readPackedOrSingle(in, wire, () -> floatData.add(in.readFloat()));
                    case 5 -> readPackedOrSingle(in, wire, () -> intData.add((long) in.readInt32()));
                    case 7 -> readPackedOrSingle(in, wire, () -> intData.add(in.readInt64()));
                    case 8 -> name = in.readStringRequireUtf8();
                    case 9 -> raw = in.readByteBuffer();
                    case 14 -> external = in.readEnum() == 1;
                    default -> in.skipField(tag);
                }
            }
            String label = kind + " '" + name + "'";
            if (external) {
                throw new IllegalArgumentException(file + ": " + label + " keeps its data in an external file, which is not supported");
            }
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            long size = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(file + ": " + label + " has a negative dimension");
                }
                size = Math.multiplyExact(size, d);
            }
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": " + label + " is too large (" + size + " elements)");
            }
            int n = (int) size;
            return switch (dataType) {
                case FLOAT -> {
                    float[] values = new float[n];
                    if (raw != null) {
                        check(raw.remaining() == 4L * n, label, "raw data of " + raw.remaining() + " bytes for " + n + " floats");
                        raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
                    } else {
                        check(floatData.size() == n, label, floatData.size() + " float values for " + n + " elements");
                        for (int i = 0; i < n; i++) {
                            values[i] = floatData.get(i);
                        }
                    }
                    yield new OnnxTensor(name, shape, dataType, values, null);
                }
                case INT64, INT32 -> {
                    long[] values = new long[n];
                    if (raw != null) {
                        int width = dataType == INT64 ? 8 : 4;
                        check(raw.remaining() == (long) width * n, label, "raw data of " + raw.remaining() + " bytes for " + n + " integers");
                        raw.order(ByteOrder.LITTLE_ENDIAN);
                        for (int i = 0; i < n; i++) {
                            values[i] = width == 8 ? raw.getLong(raw.position() + 8 * i) : raw.getInt(raw.position() + 4 * i);
                        }
                    } else {
                        check(intData.size() == n, label, intData.size() + " integer values for " + n + " elements");
                        for (int i = 0; i < n; i++) {
                            values[i] = intData.get(i);
                        }
                    }
                    yield new OnnxTensor(name, shape, dataType, null, values);
                }
                // Other types (strings, booleans, 16-bit floats) are kept as shape-only records.
                default -> new OnnxTensor(name, shape, dataType, null, null);
            };
        }

        private void check(boolean ok, String label, String problem) {
            if (!ok) {
                throw new IllegalArgumentException(file + ": " + label + ": " + problem);
            }
        }
    }

    @FunctionalInterface
    private interface Reader {
        void read() throws IOException;
    }

    /** Repeated scalars may be packed (one length-delimited field) or one per tag. */
    private static void readPackedOrSingle(CodedInputStream in, int wire, Reader one) throws IOException {
        if (wire == 2) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                one.read();
            }
            in.popLimit(limit);
        } else {
            one.read();
        }
    }
}
