/**
 * The compute kernels: one class per op family, each with a {@code forward} and, directly below
 * it, a {@code backward}, in the manner of llm.c's {@code train_gpt2.c}.
 *
 * <h2>Conventions (one for every kernel)</h2>
 * <ul>
 *   <li>Buffers are {@code float[]} with an explicit offset when a kernel works on a slice.
 *       Dimension letters inside kernels: {@code B} batch, {@code T} time, {@code C} channels,
 *       {@code NH} heads, {@code HS} head size, {@code V} vocabulary.</li>
 *   <li>Argument order: outputs first, then what forward saves for backward, then inputs, then
 *       weights, then dimensions. {@code backward} takes the input gradients first, then
 *       {@code dOut}, then the saved buffers and inputs it needs, weights and dimensions.</li>
 *   <li>Gradients accumulate ({@code +=}); zeroing them is an explicit step of the caller.</li>
 *   <li>Kernels are static and allocate nothing on the hot path, apart from per-call scratch
 *       that is documented where it occurs.</li>
 *   <li>Each vector kernel has a plain scalar version beside it (suffix {@code Scalar}): the
 *       test oracle and the path used when the system property
 *       {@code supportlm.vector=false} switches vectors off ({@link io.supportlm.kernels.Simd}).</li>
 *   <li>Every backward is tested against central finite differences in double precision.</li>
 * </ul>
 *
 * <p>Only this package and {@code io.supportlm.tensor} import {@code jdk.incubator.vector}.
 */
package io.supportlm.kernels;
