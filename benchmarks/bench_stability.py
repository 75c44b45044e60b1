"""Rank stability speed: 50 models x 10^4 items x 10^4 bootstrap replicates (issue 3 goal: <= 0.3 s warm),
with a plain numpy baseline (batched fancy-index resampling + argsort ranks) measured in the same run
on fewer replicates and extrapolated linearly.

Run: .venv/bin/python benchmarks/bench_stability.py
"""
from __future__ import annotations

import os
import time

import numpy as np
import polars as pl

import evalwidgets as ew

M, N, B = 50, 10_000, 10_000


def main():
    print(f"evalwidgets {ew.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    rng = np.random.default_rng(0)
    for kind in ("binary", "continuous"):
        p = np.linspace(0.5, 0.7, M)
        X = (rng.random((N, M)) < p).astype(float) if kind == "binary" else rng.random((N, M)) * p
        rf = ew.from_frame(pl.DataFrame({"model": np.repeat([f"m{j:02d}" for j in range(M)], N),
                                         "item": np.tile(np.arange(N), M), "score": X.T.ravel()}))
        rf.matrix()
        ew.rank_stability(rf, n_resamples=500)  # warm-up: JIT cache load
        ts = []
        for _ in range(5):
            t = time.perf_counter()
            ew.rank_stability(rf, n_resamples=B)
            ts.append(time.perf_counter() - t)
        ours = min(ts)
        b_np = 500
        t = time.perf_counter()
        g = np.random.default_rng(1)
        hist = np.zeros((M, M))
        for s in range(0, b_np, 50):
            idx = g.integers(0, N, (50, N))
            means = X[idx].mean(1)  # (50, M)
            ranks = np.argsort(np.argsort(-means, axis=1), axis=1)
            for r in ranks:
                hist[np.arange(M), r] += 1
        npy = (time.perf_counter() - t) * B / b_np
        print(f"{kind}: evalwidgets rank_stability B={B:,}: {ours * 1000:,.0f} ms (min of 5; goal <= 300 ms); "
              f"numpy loop {npy:,.1f} s (extrapolated from B={b_np}) -> {npy / ours:,.0f}x")


if __name__ == "__main__":
    main()
