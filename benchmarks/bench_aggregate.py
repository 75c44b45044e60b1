"""Stratified IQM confidence intervals: evalwidgets vs rliable, measured in the same run.

10 models x 26 tasks x 10 runs (rliable's Atari-100k shape), B = 2,000 percentile replicates.
Ours is timed warm (after one warm-up call that fills the JIT cache) and includes everything
``ew.aggregate`` does from a ResultFrame (unit table, kernel, quantiles, Result); rliable gets the
same score matrices as ``{model: (runs x tasks)}`` and ``get_interval_estimates`` with
``StratifiedBootstrap``. Goal (issue 2): >= 100x.

Run: ``python benchmarks/bench_aggregate.py [--reps 2000] [--repeat 5]``
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Nothing is imported from this script's folder; drop it from the path so that sibling scripts
# (e.g. one named coverage.py) cannot shadow packages that numba probes for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402


def make_data(n_models: int, n_tasks: int, n_runs: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    skill = rng.normal(0.0, 0.5, n_models)
    difficulty = rng.normal(0.0, 1.0, n_tasks)
    # human-normalised-score-like: skewed, heavy right tail
    scores = np.exp(skill[:, None, None] - difficulty[None, None, :]
                    + rng.normal(0.0, 0.6, (n_models, n_runs, n_tasks))) * 0.5
    score_dict = {f"model_{m}": scores[m] for m in range(n_models)}  # (runs x tasks), rliable's layout
    m_idx, r_idx, t_idx = np.meshgrid(np.arange(n_models), np.arange(n_runs), np.arange(n_tasks), indexing="ij")
    task = np.array([f"task_{t:02d}" for t in range(n_tasks)])[t_idx.ravel()]
    df = pl.DataFrame({
        "model": np.array([f"model_{m}" for m in range(n_models)])[m_idx.ravel()],
        "task": task,
        "item": task,  # one item per task, runs as samples: the rliable layout
        "sample": r_idx.ravel(),
        "score": scores.ravel(),
    })
    return df, score_dict


def import_rliable():
    """Import rliable; arch < 8 (rliable pins it) calls pandas' private ``deprecate_kwarg`` with the
    pandas-2 signature, which pandas 3 changed. Adapt the call (only that) so the peer can run."""
    import pandas as pd

    if int(pd.__version__.split(".")[0]) >= 3:
        import pandas.util._decorators as dec

        if not getattr(dec.deprecate_kwarg, "_evalwidgets_shim", False):
            original = dec.deprecate_kwarg

            def deprecate_kwarg(*args, **kwargs):
                if args and isinstance(args[0], str):  # pandas-2 call: (old_arg_name, new_arg_name, ...)
                    return original(FutureWarning, *args, **kwargs)
                return original(*args, **kwargs)

            deprecate_kwarg._evalwidgets_shim = True
            dec.deprecate_kwarg = deprecate_kwarg
    from rliable import library, metrics

    return library, metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--tasks", type=int, default=26)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--reps", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=5, help="timed repeats of ours (best is reported)")
    args = ap.parse_args()

    import evalwidgets as ew

    df, score_dict = make_data(args.models, args.tasks, args.runs)
    rf = ew.from_frame(df, task="task", sample="sample")
    print(f"data: {args.models} models x {args.tasks} tasks x {args.runs} runs; B = {args.reps:,}; "
          f"IQM, 95% percentile intervals")

    t0 = time.perf_counter()
    ew.aggregate(rf, metric="iqm", n_resamples=args.reps, seed=0)  # warm-up: JIT compile / cache load
    t_first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours = ew.aggregate(rf, metric="iqm", n_resamples=args.reps, seed=0)
        times.append(time.perf_counter() - t0)
    t_ours = min(times)

    rly, rlm = import_rliable()

    np.random.seed(0)  # rliable's StratifiedBootstrap draws from numpy's global RNG
    t0 = time.perf_counter()
    points, cis = rly.get_interval_estimates(score_dict, lambda x: np.array([rlm.aggregate_iqm(x)]),
                                             reps=args.reps)
    t_rly = time.perf_counter() - t0

    tab = ours.table
    max_point = max(abs(v - float(points[m][0])) for m, v in zip(tab["model"], tab["value"]))
    max_ci = max(max(abs(lo - float(cis[m][0, 0])), abs(hi - float(cis[m][1, 0])))
                 for m, lo, hi in zip(tab["model"], tab["ci_low"], tab["ci_high"]))
    width = float((tab["ci_high"] - tab["ci_low"]).mean())
    print(f"evalwidgets first call (JIT compile or cache load): {t_first * 1e3:9.1f} ms")
    print(f"evalwidgets warm (best of {args.repeat}):              {t_ours * 1e3:9.2f} ms")
    print(f"rliable get_interval_estimates:                   {t_rly * 1e3:9.1f} ms")
    print(f"speed-up: {t_rly / t_ours:,.0f}x  (goal >= 100x)")
    print(f"agreement: max |point diff| = {max_point:.2e}; max |CI endpoint diff| = {max_ci:.4f} "
          f"(Monte Carlo; mean CI width {width:.4f})")


if __name__ == "__main__":
    main()
