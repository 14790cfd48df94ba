package io.supportlm.io;

import java.nio.file.Path;

/**
 * A checkpoint file (safetensors, its shard index) is malformed or does not hold what was asked
 * for. The message always names the file and, where there is one, the tensor.
 */
public final class CheckpointFormatException extends IllegalArgumentException {
    public CheckpointFormatException(Path file, String message) {
        super(file + ": " + message);
    }

    public CheckpointFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
