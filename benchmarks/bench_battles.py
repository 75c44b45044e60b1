"""Bradley-Terry with bootstrap intervals: evalwidgets vs the Chatbot Arena approach and choix.

50 models, 10^6 battles (10% ties), 100 bootstrap rounds. The Arena approach is written from its
published algorithm (Chiang et al. 2024; the lmsys notebook's ``compute_mle_elo``): a per-battle
design matrix with +log(10) / -log(10) for the two models, ties entered as one win each way,
scikit-learn ``LogisticRegression(fit_intercept=False, penalty=None)`` per round on battles
resampled with replacement. choix: ``choix.ilsr_pairwise`` on the aggregated comparisons per round.
Slow baselines are timed on a few rounds and extrapolated linearly to 100 (printed as such).

Run: .venv/bin/python benchmarks/bench_battles.py
"""
from __future__ import annotations

import math
import os
import time

import numpy as np
import polars as pl

import evalwidgets as ew

M, N, ROUNDS, SEED = 50, 1_000_000, 100, 0


def simulate():
    rng = np.random.default_rng(SEED)
    strength = rng.normal(0, 1, M)
    a = rng.integers(0, M, N)
    b = (a + rng.integers(1, M, N)) % M
    p = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    u = rng.random(N)
    winner = np.where(u < 0.1, "tie", np.where(rng.random(N) < p, "model_a", "model_b"))
    return pl.DataFrame({"model_a": [f"m{i:02d}" for i in a], "model_b": [f"m{i:02d}" for i in b], "winner": winner}), a, b, winner


def arena_round(a, b, winner, rng=None):
    from sklearn.linear_model import LogisticRegression

    n = a.shape[0]
    idx = np.arange(n) if rng is None else rng.integers(0, n, n)
    a, b, w = a[idx], b[idx], winner[idx]
    tie = w == "tie"
    # ties enter twice: once as a win for a, once as a win for b (the Arena notebook's rule)
    A = np.concatenate([a, a[tie]])
    Bm = np.concatenate([b, b[tie]])
    y = np.concatenate([(w == "model_a") | tie, np.zeros(tie.sum(), bool)]).astype(int)
    X = np.zeros((A.shape[0], M))
    X[np.arange(A.shape[0]), A] = math.log(10)
    X[np.arange(A.shape[0]), Bm] = -math.log(10)
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-6)  # unpenalised
    lr.fit(X, y)
    return 400 * lr.coef_[0] + 1000


def choix_round(a, b, winner, rng):
    import choix

    n = a.shape[0]
    idx = rng.integers(0, n, n)
    a, b, w = a[idx], b[idx], winner[idx]
    win_a = w == "model_a"
    win_b = w == "model_b"
    tie = w == "tie"
    # choix takes (winner, loser) pairs; a tie is one win each way, as in the Arena rule
    pairs = np.concatenate([np.stack([a[win_a], b[win_a]], 1), np.stack([b[win_b], a[win_b]], 1),
                            np.stack([a[tie], b[tie]], 1), np.stack([b[tie], a[tie]], 1)])
    return choix.ilsr_pairwise(M, pairs, alpha=0.0)


def main():
    print(f"evalwidgets {ew.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    df, a, b, winner = simulate()
    bf = ew.battles(df)
    ew.bradley_terry(bf, n_resamples=5, ties="double")  # warm-up (JIT-free, but imports)
    t = time.perf_counter()
    r = ew.bradley_terry(bf, n_resamples=ROUNDS, seed=1, ties="double")  # the Arena tie rule
    ours = time.perf_counter() - t
    print(f"evalwidgets bradley_terry, {N:,} battles, {ROUNDS} rounds: {ours * 1000:,.0f} ms "
          f"(includes aggregation of the battles)")

    k = 3
    rng = np.random.default_rng(2)
    t = time.perf_counter()
    point = arena_round(a, b, winner)
    for _ in range(k):
        arena_round(a, b, winner, rng)
    per = (time.perf_counter() - t) / (k + 1)
    arena = per * (ROUNDS + 1)
    print(f"Arena approach (sklearn logistic regression per round): {per:,.2f} s per round -> "
          f"{arena:,.1f} s for {ROUNDS} rounds + the point fit (extrapolated from {k + 1} fits)")
    t = time.perf_counter()
    for _ in range(k):
        choix_round(a, b, winner, rng)
    cper = (time.perf_counter() - t) / k
    print(f"choix ilsr_pairwise per round: {cper:,.2f} s -> {cper * ROUNDS:,.1f} s for {ROUNDS} rounds "
          f"(extrapolated from {k})")
    print(f"speed-up vs Arena approach: {arena / ours:,.0f}x (goal >= 300x); vs choix: {cper * ROUNDS / ours:,.0f}x "
          f"(goal >= 10x)")
    ours_pt = r.table.sort("model")["rating"].to_numpy()
    arena_pt = point - point.mean() + 1000
    print(f"max |rating ours - Arena point fit| = {np.max(np.abs(ours_pt - arena_pt)):.3f} Elo "
          "(both with ties as one win each way; differences are the logistic solver's tolerance)")


if __name__ == "__main__":
    main()
