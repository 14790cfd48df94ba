"""numpy (OpenBLAS) peer of `./supportlm bench kernels`: the same three products of a linear layer
(forward x@w.T, dX dy@w, dW dy.T@x) on the same shapes, f32, best of N rounds over all products.
Set OPENBLAS_NUM_THREADS (the caller does) to the thread count being compared. Prints one JSON line.

usage: python3 matmul_numpy.py [--tokens 2048] [--repeats 20]
"""
import argparse
import json
import time

import numpy as np

SHAPES = [("q_proj/o_proj", 576, 576), ("k_proj/v_proj", 576, 192), ("gate_proj/up_proj", 576, 1536), ("down_proj", 1536, 576)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tokens", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    products = []
    for name, k, n in SHAPES:
        m = a.tokens
        x = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((n, k), dtype=np.float32)
        dy = rng.standard_normal((m, n), dtype=np.float32)
        for product, f in (("forward", lambda x=x, w=w: x @ w.T), ("dX", lambda dy=dy, w=w: dy @ w),
                           ("dW", lambda dy=dy, x=x: dy.T @ x)):
            products.append((name, product, f, 2.0 * m * k * n))
    # The same warm-up as supportlm's: every product, at least twice and for at least a second.
    start, passes = time.perf_counter(), 0
    while passes < 2 or time.perf_counter() - start < 1.0:
        for _, _, f, _ in products:
            f()
        passes += 1
    # Best of N rounds, each round timing every product once (as supportlm's benchmark does).
    best = [float("inf")] * len(products)
    for _ in range(a.repeats):
        for i, (_, _, f, _) in enumerate(products):
            t0 = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - t0)
    results, flops, seconds = [], 0.0, 0.0
    for (name, product, _, fl), s in zip(products, best):
        results.append({"layer": name, "product": product, "gflops": fl / s / 1e9})
        flops += fl
        seconds += s
    print(json.dumps({"peer": "numpy " + np.__version__, "products": results, "total_gflops": flops / seconds / 1e9}))


if __name__ == "__main__":
    main()
