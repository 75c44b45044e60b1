"""Core engine speed: start-up, one-model intervals and a 50-model leaderboard, against scipy and
plain numpy, all measured in this run on the same data (issue 2 §1, §5).

1. Start-up. ``import evalwidgets`` alone (must not import numba/altair/anywidget; goal <= 0.5 s),
   then a first ``ew.leaderboard()`` (defaults: method="auto", B=10,000; 5 models x 1,000 items,
   continuous scores, then a binary frame) in a fresh interpreter with an EMPTY numba cache
   (``NUMBA_CACHE_DIR`` = a new temporary directory: every kernel is compiled) and again in a second
   interpreter with the same cache directory (kernels loaded from the cache). Both include
   ``import evalwidgets``; goal for the warm one: well under 2 s.
2. One-model interval, N = 10,000 scores (Beta(2, 5)), B = 10,000, percentile and BCa: ours
   (``ew.leaderboard`` on a prebuilt one-model frame, and ``ew.interval`` from the raw array) vs
   ``scipy.stats.bootstrap((x,), np.mean, method=..., vectorized=True)`` with its default batch (all
   B resamples at once: memory-bound, ~1.6 GB) and with ``batch=50`` (the fastest of 50..2,000 on
   the development machine); ratios against both. Goal >= 100x.
   Then N = 1,000,000 (BCa, B = 10,000) in a child process: time and peak RSS
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the interpreter, numba and
   polars). Goal < 1 GB.
3. Leaderboard with rank columns, 50 models x 10,000 items, B = 2,000, binary and continuous scores:
   ours warm (``ew.leaderboard(rf, n_resamples=2000)``: auto intervals + rank, rank_low/high,
   P(best) and tiers from paired replicates) vs
   (a) scipy paired bootstrap, ONE ``scipy.stats.bootstrap(..., method="percentile")`` call giving
       the 50 per-model intervals from paired replicates, in two formulations: the (M, N) matrix as
       one sample with ``axis=-1`` (scipy applies one index draw per replicate to every row, i.e.
       paired; ``batch=25``) and the 50 columns as 50 samples with ``paired=True`` and a statistic
       returning the 50 means (``batch=50``). The ratio uses the faster. scipy computes the
       intervals only (no ranks, no tiers), i.e. strictly less than ours;
   (b) a plain numpy loop: fancy-index resampling of the (N, M) score matrix in batches of 20
       replicates, means, percentile intervals, per-replicate ordinal ranks (argsort), rank
       intervals and P(best).
   Goals: >= 50x scipy and <= 50 ms warm.

Ours is timed warm (after one call that fills the JIT cache), as the median of several calls;
baselines once (they take seconds). Nothing in the environment is unset; the children inherit it
(plus ``NUMBA_CACHE_DIR`` for the start-up runs).

Run: ``python benchmarks/bench_core.py`` (about 1-2 minutes on 2 idle cores).
"""
from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

PY = sys.executable
ROWS: list[tuple[str, str, str]] = []  # (what, value, goal/verdict) for the final summary


def report(what: str, value: str, goal: str = "") -> None:
    ROWS.append((what, value, goal))
    print(f"  {what:58s} {value:>26s}  {goal}", flush=True)


def run_child(code: str, env_extra: dict | None = None) -> tuple[dict, float]:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last. Returns (json, wall s)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    t0 = time.perf_counter()
    res = subprocess.run([PY, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"child failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1]), wall


def timeit(fn, repeat: int = 7) -> tuple[float, float]:
    """(median, min) seconds over ``repeat`` calls."""
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def ms(s: float) -> str:
    return f"{1000 * s:,.1f} ms" if s < 10 else f"{s:,.1f} s"


# ---------------------------------------------------------------------------------------------
IMPORT_ONLY = """
import sys, time, json
t0 = time.perf_counter()
import evalwidgets
dt = time.perf_counter() - t0
print(json.dumps({"import_s": dt, "numba": "numba" in sys.modules, "altair": "altair" in sys.modules,
                  "anywidget": "anywidget" in sys.modules, "polars": "polars" in sys.modules}))
"""

FIRST_LEADERBOARD = """
import time, json, sys
t0 = time.perf_counter()
import evalwidgets as ew
t_import = time.perf_counter() - t0
import numpy as np, polars as pl
rng = np.random.default_rng(0)
M, N = 5, 1000
def frame(scores):
    return ew.from_frame(pl.DataFrame({"model": np.repeat([f"model-{i}" for i in range(M)], N),
                                       "item": np.tile(np.arange(N), M), "score": scores}))
rf = frame(rng.beta(2.0, 3.0, M * N) + np.repeat(np.linspace(0, 0.05, M), N))
t1 = time.perf_counter()
lb = ew.leaderboard(rf)
t_lb = time.perf_counter() - t1
t_total = time.perf_counter() - t0
rfb = frame((rng.random(M * N) < np.repeat(np.linspace(0.6, 0.7, M), N)).astype(float))
t2 = time.perf_counter()
ew.leaderboard(rfb)
t_lb_bin = time.perf_counter() - t2
files = sorted({m.__file__ for m in list(sys.modules.values())
                if (getattr(m, "__file__", None) or "").endswith(".py")})
print(json.dumps({"import_s": t_import, "leaderboard_s": t_lb, "total_s": t_total, "binary_s": t_lb_bin,
                  "methods": sorted(set(lb.table["method"])), "files": files,
                  "bytecode_writes": not sys.dont_write_bytecode, "pycache_prefix": sys.pycache_prefix}))
"""

COMPILE = """
import json, py_compile, sys
files = json.load(open(sys.argv[1]))
ok = 0
for f in files:
    try:
        py_compile.compile(f, doraise=True)  # to sys.pycache_prefix (PYTHONPYCACHEPREFIX)
        ok += 1
    except Exception:
        pass
print(json.dumps({"compiled": ok}))
"""

BIG_ONE_MODEL = """
import time, json, resource
import numpy as np, polars as pl
import evalwidgets as ew
def hwm_mb():  # peak RSS of this process image (Linux /proc; resets at exec, unlike ru_maxrss)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
N = 1_000_000
x = np.random.default_rng(0).beta(2.0, 5.0, N)
df = pl.DataFrame({"model": ["m"] * N, "item": np.arange(N), "score": x})
rss0 = hwm_mb()
t0 = time.perf_counter()
rf = ew.from_frame(df)
rf.matrix()
t_frame = time.perf_counter() - t0
rss1 = hwm_mb()
t1 = time.perf_counter()
lb = ew.leaderboard(rf, method="bca", n_resamples=10_000, seed=0)
t_lb = time.perf_counter() - t1
row = lb.table.row(0, named=True)
print(json.dumps({"frame_s": t_frame, "leaderboard_s": t_lb, "hwm_before_mb": rss0, "hwm_after_frame_mb": rss1,
                  "hwm_mb": hwm_mb(), "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "ci": [row["ci_low"], row["ci_high"]]}))
"""


def startup() -> None:
    print("\n1. Start-up (fresh interpreters)")
    runs = [run_child(IMPORT_ONLY) for _ in range(3)]
    imp = min(r[0]["import_s"] for r in runs)
    flags = runs[0][0]
    report("import evalwidgets (best of 3, in-process)", ms(imp), "goal <= 0.5 s")
    report("  ... imports numba / altair / anywidget?",
           f"{flags['numba']} / {flags['altair']} / {flags['anywidget']}", "goal: all False")
    with tempfile.TemporaryDirectory(prefix="ew-numba-cache-") as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        cold, cold_wall = run_child(FIRST_LEADERBOARD, env)
        n_files = sum(len(f) for _, _, f in os.walk(cache))
        warm, warm_wall = run_child(FIRST_LEADERBOARD, env)
    report("cold: import + first leaderboard (empty numba cache)", ms(cold["total_s"]),
           f"import {ms(cold['import_s'])}, leaderboard {ms(cold['leaderboard_s'])}; must finish")
    report("  cold: interpreter wall time", ms(cold_wall), f"{n_files} cache files written")
    report("warm: import + first leaderboard (cache filled)", ms(warm["total_s"]),
           f"import {ms(warm['import_s'])}, leaderboard {ms(warm['leaderboard_s'])}; goal well < 2 s")
    report("  warm: interpreter wall time", ms(warm_wall), "")
    report("  then a first binary leaderboard: cold / warm", f"{ms(cold['binary_s'])} / {ms(warm['binary_s'])}",
           f"methods used first: {','.join(cold['methods'])}")
    # Python's own bytecode cache: with PYTHONDONTWRITEBYTECODE=1 and a venv installed without .pyc
    # files (uv's default), every interpreter recompiles numba/scipy/polars from source. Measure a
    # warm start as after a normal install too: compile the modules the warm run imported into a
    # private PYTHONPYCACHEPREFIX (nothing is unset; the prefix is an added variable).
    missing = [f for f in warm["files"] if not os.path.exists(importlib.util.cache_from_source(f))]
    report("  Python bytecode cache in this environment",
           f"{len(missing)}/{len(warm['files'])} .pyc missing",
           f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    if missing:
        with tempfile.TemporaryDirectory(prefix="ew-pyc-") as pyc, \
                tempfile.TemporaryDirectory(prefix="ew-numba-cache-") as cache:
            lst = os.path.join(pyc, "files.json")
            with open(lst, "w") as fh:
                json.dump(warm["files"], fh)
            env = {"NUMBA_CACHE_DIR": cache, "PYTHONPYCACHEPREFIX": pyc}
            subprocess.run([PY, "-c", COMPILE, lst], env={**os.environ, **env}, check=True, capture_output=True)
            run_child(FIRST_LEADERBOARD, env)  # fills this numba cache
            warm2, warm2_wall = run_child(FIRST_LEADERBOARD, env)
        report("warm + bytecode cache: import + first leaderboard", ms(warm2["total_s"]),
               f"import {ms(warm2['import_s'])}, leaderboard {ms(warm2['leaderboard_s'])}; goal well < 2 s")
        report("  warm + bytecode cache: interpreter wall time", ms(warm2_wall), "")


# ---------------------------------------------------------------------------------------------
def one_model() -> None:
    import polars as pl
    from scipy import stats

    import evalwidgets as ew

    print("\n2. One-model 95% interval, N = 10,000, B = 10,000 (continuous Beta(2,5) scores)")
    N, B = 10_000, 10_000
    x = np.random.default_rng(1).beta(2.0, 5.0, N)
    rf = ew.from_frame(pl.DataFrame({"model": ["m"] * N, "item": np.arange(N), "score": x}))
    # the big child first: Linux keeps ru_maxrss across fork+exec, so a child started after the
    # scipy baselines (several GB) would report the parent's peak
    big, _ = run_child(BIG_ONE_MODEL)
    for ours_m, sp_m in (("percentile", "percentile"), ("bca", "BCa")):
        ew.leaderboard(rf, method=ours_m, n_resamples=B, seed=0)  # warm
        t_ours, _ = timeit(lambda: ew.leaderboard(rf, method=ours_m, n_resamples=B, seed=0))
        t_int, _ = timeit(lambda: ew.interval(x, method=ours_m, n_resamples=B, seed=0), repeat=3)
        row = ew.leaderboard(rf, method=ours_m, n_resamples=B, seed=0).table.row(0, named=True)
        t_sp = {}
        for batch in (None, 50):  # scipy's default (all B at once, ~1.6 GB) and the fastest batch of 50..2000 here
            t0 = time.perf_counter()
            res = stats.bootstrap((x,), np.mean, n_resamples=B, method=sp_m, vectorized=True, batch=batch, rng=0)
            t_sp[batch] = time.perf_counter() - t0
        best = min(t_sp.values())
        ci = res.confidence_interval
        report(f"{ours_m}: ours ew.leaderboard (frame prebuilt, median of 7)", ms(t_ours))
        report(f"{ours_m}: ours ew.interval(array) incl. frame building", ms(t_int))
        report(f"{ours_m}: scipy.stats.bootstrap({sp_m!r}, vectorized): batch=None / 50",
               f"{ms(t_sp[None])} / {ms(t_sp[50])}")
        report(f"{ours_m}: speed-up vs scipy default batch=None (leaderboard)", f"{t_sp[None] / t_ours:,.0f}x",
               "goal >= 100x")
        report(f"{ours_m}: speed-up vs faster scipy (leaderboard / interval)",
               f"{best / t_ours:,.0f}x / {best / t_int:,.0f}x", "both draw 1e8 random indices")
        report(f"{ours_m}: intervals ours | scipy",
               f"[{row['ci_low']:.5f}, {row['ci_high']:.5f}] | [{ci.low:.5f}, {ci.high:.5f}]")
    print("\n   N = 1,000,000, one model, BCa, B = 10,000 (child process, run before the scipy baselines)")
    report("N=1e6: from_frame + matrix", ms(big["frame_s"]))
    report("N=1e6: leaderboard(method='bca', B=10,000)", ms(big["leaderboard_s"]))
    report("N=1e6: peak RSS of the whole child (VmHWM)", f"{big['hwm_mb']:,.0f} MB",
           f"goal < 1 GB (data built: {big['hwm_before_mb']:,.0f} MB, frame: {big['hwm_after_frame_mb']:,.0f} MB)")
    report("N=1e6: resource.getrusage ru_maxrss", f"{big['ru_maxrss_mb']:,.0f} MB",
           "includes the parent's RSS at spawn (kept across exec)")


# ---------------------------------------------------------------------------------------------
def numpy_leaderboard(X: np.ndarray, B: int, seed: int, batch: int = 20):
    """The plain-numpy baseline: fancy-index resampling in batches, percentile intervals,
    per-replicate ordinal ranks, rank intervals, P(best)."""
    rng = np.random.default_rng(seed)
    N, M = X.shape
    reps = np.empty((B, M))
    for b0 in range(0, B, batch):
        nb = min(batch, B - b0)
        idx = rng.integers(0, N, (nb, N))
        reps[b0:b0 + nb] = X[idx].mean(axis=1)
    lo, hi = np.percentile(reps, [2.5, 97.5], axis=0)
    ranks = np.argsort(np.argsort(-reps, axis=1), axis=1) + 1
    r_lo, r_hi = np.percentile(ranks, [2.5, 97.5], axis=0)
    p_best = (ranks == 1).mean(axis=0)
    return lo, hi, r_lo, r_hi, p_best


def scipy_paired(X: np.ndarray, B: int, seed: int, *, form: str):
    """50 per-model percentile intervals from one paired scipy bootstrap.

    form="2d": one sample of shape (M, N) with axis=-1; scipy draws one index set per replicate
    and applies it to every row, so the replicates are paired (the fastest scipy formulation we
    found, batch=25). form="paired": the 50 model columns as 50 samples with paired=True and a
    statistic returning the 50 means (batch=50)."""
    from scipy import stats

    if form == "2d":
        res = stats.bootstrap((np.ascontiguousarray(X.T),), np.mean, n_resamples=B, vectorized=True, axis=-1,
                              method="percentile", batch=25, rng=seed)
        return res.confidence_interval

    def means(*cols, axis=-1):
        return np.stack([np.mean(c, axis=axis) for c in cols])

    res = stats.bootstrap(tuple(X.T), means, n_resamples=B, paired=True, vectorized=True,
                          method="percentile", batch=50, rng=seed)
    return res.confidence_interval


def leaderboard_bench() -> None:
    import polars as pl

    import evalwidgets as ew

    M, N, B = 50, 10_000, 2_000
    print(f"\n3. Leaderboard with rank columns, {M} models x {N:,} items, B = {B:,}")
    rng = np.random.default_rng(2)
    skill = np.linspace(0.55, 0.70, M)
    data = {
        "binary": (rng.random((N, M)) < skill[None, :]).astype(np.float64),
        "continuous": rng.beta(10 * skill, 10 * (1 - skill), (N, M)),
    }
    for kind, X in data.items():
        rf = ew.from_frame(pl.DataFrame({"model": np.repeat([f"model-{m:02d}" for m in range(M)], N),
                                         "item": np.tile(np.arange(N), M), "score": X.T.ravel()}))
        lb = ew.leaderboard(rf, n_resamples=B, seed=0)  # warm (JIT cache, matrix cache)
        t_ours, t_min = timeit(lambda: ew.leaderboard(rf, n_resamples=B, seed=0))
        t_sp = {}
        for form in ("2d", "paired"):
            t0 = time.perf_counter()
            ci = scipy_paired(X, B, 0, form=form)
            t_sp[form] = time.perf_counter() - t0
        t0 = time.perf_counter()
        np_lo, np_hi, *_ = numpy_leaderboard(X, B, 0)
        t_np = time.perf_counter() - t0
        tab = lb.table.sort("model")
        d_sp = float(np.max(np.abs(np.r_[tab["ci_low"].to_numpy() - ci.low, tab["ci_high"].to_numpy() - ci.high])))
        half = float(np.median(ci.high - ci.low) / 2)
        meth = ",".join(sorted(set(lb.table["method"])))
        report(f"{kind}: ours ew.leaderboard (median / min of 7)", f"{ms(t_ours)} / {ms(t_min)}",
               f"goal <= 50 ms; methods: {meth}; {lb.spec['tier_test']}")
        report(f"{kind}: (a) scipy paired, 2-D sample axis=-1 / paired=True", f"{ms(t_sp['2d'])} / {ms(t_sp['paired'])}",
               f"{min(t_sp.values()) / t_ours:,.0f}x vs the faster; goal >= 50x")
        report(f"{kind}: (b) numpy fancy-index loop + ranks", ms(t_np), f"{t_np / t_ours:,.0f}x")
        report(f"{kind}: max |ours - scipy| interval end", f"{d_sp:.4f}",
               f"median half-width {half:.4f}; ours {meth} vs scipy percentile, different draws")


def main() -> None:
    t0 = time.perf_counter()
    import evalwidgets as ew

    print(f"evalwidgets {ew.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (other processes slow every timing)")
    startup()
    one_model()
    leaderboard_bench()
    print(f"\nTotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
