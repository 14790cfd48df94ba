"""numpy (OpenBLAS) peer of `./supportlm bench kernels`: the same three products of a linear layer
(forward x@w.T, dX dy@w, dW dy.T@x) on the same shapes, f32, best of N timed runs each.
Set OPENBLAS_NUM_THREADS (the caller does) to the thread count being compared. Prints one JSON line.

usage: python3 matmul_numpy.py [--tokens 2048] [--repeats 5]
"""
import argparse
import json
import time

import numpy as np

SHAPES = [("q_proj/o_proj", 576, 576), ("k_proj/v_proj", 576, 192), ("gate_proj/up_proj", 576, 1536), ("down_proj", 1536, 576)]


def best_seconds(f, repeats):
    f()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tokens", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    results, flops, seconds = [], 0.0, 0.0
    for name, k, n in SHAPES:
        m = a.tokens
        x = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((n, k), dtype=np.float32)
        dy = rng.standard_normal((m, n), dtype=np.float32)
        for product, f in (("forward", lambda: x @ w.T), ("dX", lambda: dy @ w), ("dW", lambda: dy.T @ x)):
            s = best_seconds(f, a.repeats)
            results.append({"layer": name, "product": product, "gflops": 2.0 * m * k * n / s / 1e9})
            flops += 2.0 * m * k * n
            seconds += s
    print(json.dumps({"peer": "numpy " + np.__version__, "products": results, "total_gflops": flops / seconds / 1e9}))


if __name__ == "__main__":
    main()
