/**
 * Checkpoint file formats: safetensors read by memory map ({@link io.supportlm.io.SafetensorsFile}),
 * written atomically ({@link io.supportlm.io.SafetensorsWriter}), and a model's weights as one file
 * or a sharded set ({@link io.supportlm.io.Checkpoint}), all behind {@link io.supportlm.io.WeightStore}.
 *
 * <p>Headers are untrusted input: every malformed file gives a
 * {@link io.supportlm.io.CheckpointFormatException} naming the file and tensor, never an
 * out-of-memory or an index error. Reading is lazy: opening parses the header; tensors are slices
 * of the mapping, valid until the store is closed. Zero-element tensors (legal in safetensors)
 * are listed and readable as bytes but have no {@link io.supportlm.tensor.Tensor} view, since
 * {@link io.supportlm.tensor.Shape} dimensions are positive.
 */
package io.supportlm.io;
