"""Coverage battery (issue 2 §5): do the 95% intervals of ``ew.leaderboard`` cover the TRUE mean 95% of
the time?

This module is both the CI-sized test (``@pytest.mark.slow``) and the machinery that
``benchmarks/bench_coverage.py`` runs on the full grid. It uses the public API only
(``ew.from_frame`` + ``ew.leaderboard``) and numpy data with closed-form truths.

Two estimators of coverage
--------------------------
* **Binary, unclustered data: exact enumeration.** Every interval method is a function of the
  number of successes k alone (the bootstrap too: a 0/1 sample is fixed by k up to the order of its
  items). So one frame holds one "model" per k (k ones then n - k zeros) and
  ``coverage(n, p) = sum_k Binom(k; n, p) * 1{p in CI(k)}`` with no Monte Carlo error over data. For
  large n only k within 4.5 sd of n*p are kept (the dropped mass is < 1e-5 per p; a test checks it). The bootstrap
  methods keep the Monte Carlo error of their own replicates (B per call); it is estimated from R
  independent seeds: SE = sd over seeds / sqrt(R).
* **Everything else: K independent data sets as K "models" of one frame.** Each model's interval
  uses that model's scores only, so its coverage indicator is a draw of the method's marginal
  coverage; the bootstrap draw shared by the models (paired design) couples the models only
  through B >= 1000 replicate draws, which does not change any model's marginal coverage. The
  coverage estimate is a binomial proportion over K data sets: SE = sqrt(c (1 - c) / K).

Where a method is valid (what the 93.5-96.5 % bound is claimed over)
--------------------------------------------------------------------
* wilson / jeffreys / exact: binary scores, one score per item, no clusters (the leaderboard
  refuses them elsewhere), every n and p.
* clt / t / percentile / basic / bca: large-sample methods, valid with >= 30 independent units
  (items; clusters when clustered) and, for 0/1 outcomes, >= 10 expected successes and failures
  among them (units * min(p, 1 - p) >= 10: the textbook np >= 10 rule). clt / t are never valid on
  clustered data (their item-level standard error ignores the clustering); the bootstrap is the
  cluster bootstrap there.
* auto: everywhere (it must pick a valid method itself); required >= 91 % at every grid point.
Points outside a method's validity are still computed and shown (e.g. the CLT at n = 20, p = 0.95).

Tolerances
----------
A claim about the true coverage is checked against its Monte Carlo estimate at 3 standard errors:
an average over J grid points has SE_avg = sqrt(sum_j SE_j^2) / J (simulated points are independent;
enumeration points of one n share their bootstrap seeds, a small correlation this ignores), and
the test asserts ``93.5 - 3 SE_avg <= average <= 96.5 + 3 SE_avg`` and, per point,
``auto >= 91 - 3 SE_j``. If the true value sat exactly on a bound the test would fail with
probability Phi(-3) = 0.13 %; the seeds are fixed, so a run is deterministic. Exact-enumeration
points of deterministic methods have SE = 0 and are held to the bound itself.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import polars as pl
import pytest
from scipy import stats

import evalwidgets as ew

LEVEL = 0.95
METHODS = ("wilson", "jeffreys", "exact", "clt", "t", "percentile", "basic", "bca", "studentized", "wilson_cluster",
           "auto")
BINOMIAL = ("wilson", "jeffreys", "exact")
RESAMPLED = ("percentile", "basic", "bca", "studentized", "auto")  # auto may pick the bootstrap, so it gets B replicates
BOUND_LOW, BOUND_HIGH, AUTO_FLOOR = 0.935, 0.965, 0.91
Z_TOL = 3.0
P_GRID = (0.02, 0.05, 0.2, 0.5, 0.8, 0.95, 0.98)
ENUM_WIDTH = 4.5  # keep k within this many binomial sd of n*p


# ---------------------------------------------------------------------------------------------
# one grid-point x method result
@dataclass(frozen=True)
class Cell:
    family: str  # data-generating process (row group of the table)
    kind: str  # "binary" | "continuous" | "clustered" | "samples"
    n: int  # items per data set
    units: int  # independent units (items, or clusters)
    truth: float  # the population mean the intervals should cover
    method: str
    coverage: float
    se: float  # Monte Carlo standard error of ``coverage``
    reps: str  # "exact" (enumeration) or "K=..." (independent data sets)
    valid: bool
    seconds: float  # time of the leaderboard call(s) for this cell

    @property
    def label(self) -> str:
        return f"{self.family} n={self.n}"


def is_valid(method: str, kind: str, units: int, pmin: float | None) -> bool:
    """The validity domains of the module docstring."""
    if method == "auto":
        return True
    if method in BINOMIAL:
        return kind == "binary"
    if method == "wilson_cluster":  # clustered 0/1 scores only (the leaderboard refuses it elsewhere)
        return kind == "clustered" and pmin is not None
    if kind == "clustered" and method in ("clt", "studentized"):
        return False  # item-level standard errors ignore clustering (the leaderboard refuses studentized);
        # with a cluster role "t" is the cluster-robust t interval (G - 1 degrees of freedom)
    if method == "studentized":  # bootstrap-t: second-order accurate, the small-n choice of auto
        return units >= 10 and (pmin is None or units * pmin >= 5)
    return units >= 30 and (pmin is None or units * pmin >= 10)


def frame(scores: np.ndarray, *, cluster_size: int = 1) -> ew.ResultFrame:
    """One model per data set: ``scores`` (K, n) item scores or (K, n, S) repeated samples.
    Clusters are consecutive runs of ``cluster_size`` items (the same layout for every data set)."""
    K, n = scores.shape[:2]
    S = scores.shape[2] if scores.ndim == 3 else 1
    cols = {
        "model": np.repeat(np.arange(K), n * S),
        "item": np.tile(np.repeat(np.arange(n), S), K),
        "score": scores.astype(np.float64).ravel(),
    }
    roles = {}
    if S > 1:
        cols["sample"] = np.tile(np.arange(S), K * n)
        roles["sample"] = "sample"
    if cluster_size > 1:
        cols["cluster"] = cols["item"] // cluster_size
        roles["cluster"] = "cluster"
    return ew.from_frame(pl.DataFrame(cols), **roles)


def intervals(rf: ew.ResultFrame, method: str, *, n_resamples: int, seed: int):
    """(ci_low, ci_high) per model index from one public ``ew.leaderboard`` call.

    Analytic methods do not use the replicates for their intervals, so they get a small B (the
    replicates then only feed the rank columns, which this battery does not look at)."""
    B = n_resamples if method in RESAMPLED else 50
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CLT small-n warning is the point of some grid points
        t = ew.leaderboard(rf, method=method, ci=LEVEL, n_resamples=B, seed=seed).table
    idx = t["model"].cast(pl.Int64).to_numpy()
    lo = np.full(idx.max() + 1, np.nan)
    hi = np.full(idx.max() + 1, np.nan)
    lo[idx] = t["ci_low"].to_numpy()
    hi[idx] = t["ci_high"].to_numpy()
    return lo, hi


def covers(lo: np.ndarray, hi: np.ndarray, truth: float) -> np.ndarray:
    """Closed interval contains the truth (a NaN interval does not)."""
    return (lo <= truth) & (truth <= hi)


# ---------------------------------------------------------------------------------------------
# binary, unclustered: exact enumeration over k
def k_groups(n: int, ps, width: float = ENUM_WIDTH) -> list[np.ndarray]:
    """Sets of k to enumerate: the union of [n p - width sd, n p + width sd] over ``ps``, split
    into separate groups where windows do not overlap (one frame each)."""
    spans = []
    for p in ps:
        sd = math.sqrt(n * p * (1 - p))
        spans.append((max(0, math.floor(n * p - width * sd)), min(n, math.ceil(n * p + width * sd))))
    spans.sort()
    merged = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [np.arange(a, b + 1) for a, b in merged]


def binary_exact(n: int, ps=P_GRID, methods=METHODS, *, n_resamples: int = 1000, seeds=(0, 1)) -> list[Cell]:
    """Coverage of every method at (n, p) for p in ``ps`` by enumeration (module docstring)."""
    methods = tuple(m for m in methods if m != "wilson_cluster")  # needs a cluster role
    out: list[Cell] = []
    acc: dict[tuple[str, float], list[float]] = {}
    secs: dict[str, float] = {m: 0.0 for m in methods}
    for ks in k_groups(n, ps):
        S = (np.arange(n)[None, :] < ks[:, None]).astype(np.float64)  # model j has ks[j] ones
        rf = frame(S)
        inside = [p for p in ps if ks[0] <= n * p <= ks[-1]]
        for m in methods:
            for seed in (seeds if m in RESAMPLED else seeds[:1]):
                t0 = time.perf_counter()
                lo, hi = intervals(rf, m, n_resamples=n_resamples, seed=seed)
                secs[m] += time.perf_counter() - t0
                for p in inside:
                    w = stats.binom.pmf(ks, n, p)
                    acc.setdefault((m, p), []).append(float(np.sum(w * covers(lo, hi, p))))
    for p in ps:
        for m in methods:
            v = np.array(acc[(m, p)])
            se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
            out.append(Cell(f"binary p={p}", "binary", n, n, p, m, float(v.mean()), se, "exact",
                            is_valid(m, "binary", n, min(p, 1 - p)), secs[m] / len(ps)))
    return out


# ---------------------------------------------------------------------------------------------
# simulated families with closed-form truths
@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # "continuous" | "clustered" | "samples"
    truth: float
    pmin: float | None  # min(p, 1-p) when the outcomes are 0/1 (validity rule), else None
    draw: Callable[[np.random.Generator, int, int], np.ndarray]  # (rng, K, n) -> (K, n[, S])
    cluster_size: int = 1


def _clustered_binary(a: float, b: float, m: int):
    """Cluster success rate ~ Beta(a, b) (shared by the cluster's m items), items Bernoulli.
    Mean a / (a + b); intra-cluster correlation 1 / (a + b + 1)."""
    def draw(rng, K, n):
        pc = rng.beta(a, b, (K, n // m))
        return (rng.random((K, n // m, m)) < pc[..., None]).reshape(K, n)
    return draw


def _clustered_beta(a: float, b: float, m: int, conc: float = 10.0):
    """Cluster mean mu_c ~ Beta(a, b); item score ~ Beta(conc mu_c, conc (1 - mu_c)); mean a / (a + b)."""
    def draw(rng, K, n):
        mu = np.repeat(rng.beta(a, b, (K, n // m)), m, axis=1)
        return rng.beta(conc * mu, conc * (1 - mu))
    return draw


def _samples(a: float, b: float, S: int):
    """Item success rate q ~ Beta(a, b); S repeated 0/1 samples per item; item score = their mean.
    Mean a / (a + b)."""
    def draw(rng, K, n):
        q = rng.beta(a, b, (K, n))
        return (rng.random((K, n, S)) < q[..., None]).astype(np.float64)
    return draw


CONTINUOUS = (
    Family("beta(2,2)", "continuous", 0.5, None, lambda rng, K, n: rng.beta(2.0, 2.0, (K, n))),
    Family("beta(8,2)", "continuous", 0.8, None, lambda rng, K, n: rng.beta(8.0, 2.0, (K, n))),
    # skewness 1.87: most items near 0, a long right tail
    Family("beta(0.5,4.5)", "continuous", 0.1, None, lambda rng, K, n: rng.beta(0.5, 4.5, (K, n))),
    # reward-model-like, unbounded, right-skewed (skewness sqrt(2)): 2 * Gamma(2, 1) - 3, mean 1
    Family("reward 2*Gamma(2)-3", "continuous", 1.0, None, lambda rng, K, n: 2.0 * rng.gamma(2.0, 1.0, (K, n)) - 3.0),
)
CLUSTER_SIZE = 5
CLUSTERED = (
    Family("clustered 0/1 p=0.5 icc=0.2", "clustered", 0.5, 0.5, _clustered_binary(2.0, 2.0, CLUSTER_SIZE), CLUSTER_SIZE),
    Family("clustered 0/1 p=0.9 icc=0.2", "clustered", 0.9, 0.1, _clustered_binary(3.6, 0.4, CLUSTER_SIZE), CLUSTER_SIZE),
    Family("clustered beta mean=0.6", "clustered", 0.6, None, _clustered_beta(3.0, 2.0, CLUSTER_SIZE), CLUSTER_SIZE),
)
N_SAMPLES = 5
SAMPLES = (
    Family("5 samples q~beta(1.5,3.5)", "samples", 0.3, 0.3, _samples(1.5, 3.5, N_SAMPLES)),
    Family("5 samples q~beta(4.5,0.5)", "samples", 0.9, 0.1, _samples(4.5, 0.5, N_SAMPLES)),
)
FAMILIES = {f.name: f for f in CONTINUOUS + CLUSTERED + SAMPLES}


def simulate(family: Family, n: int, K: int, methods=None, *, n_resamples: int = 1000, seed: int = 0,
             chunk: int = 250, valid_only: bool = False) -> list[Cell]:
    """Coverage of ``methods`` at one grid point from K independent data sets, ``chunk`` data sets
    (models) per frame: the leaderboard's rank columns cost O(models^2 x B), so several smaller
    frames are cheaper than one large one. Every data set gets its own random stream.
    ``valid_only`` skips methods outside their validity domain (``auto`` is always run)."""
    if methods is None:
        methods = tuple(m for m in METHODS if m not in BINOMIAL)  # refused on non-binary / clustered data
    if family.kind == "clustered":
        methods = tuple(m for m in methods if m != "studentized")  # refused with a cluster role
    if not (family.kind == "clustered" and family.pmin is not None):
        methods = tuple(m for m in methods if m != "wilson_cluster")  # clustered 0/1 scores only
    units = n // family.cluster_size
    if valid_only:
        methods = tuple(m for m in methods if is_valid(m, family.kind, units, family.pmin))
    hits = {m: 0 for m in methods}
    secs = {m: 0.0 for m in methods}
    streams = np.random.SeedSequence([seed, n, *map(ord, family.name)]).spawn(math.ceil(K / chunk))
    for j, ss in enumerate(streams):
        k = min(chunk, K - j * chunk)
        rf = frame(family.draw(np.random.default_rng(ss), k, n), cluster_size=family.cluster_size)
        for m in methods:
            t0 = time.perf_counter()
            lo, hi = intervals(rf, m, n_resamples=n_resamples, seed=seed + j)
            secs[m] += time.perf_counter() - t0
            hits[m] += int(np.sum(covers(lo, hi, family.truth)))
    out = []
    for m in methods:
        c = hits[m] / K
        # binomial SE at the observed c, floored at the nominal 0.95 * 0.05 so that a point at 100 %
        # does not get SE 0
        se = math.sqrt(max(c * (1 - c), LEVEL * (1 - LEVEL)) / K)
        out.append(Cell(family.name, family.kind, n, units, family.truth, m, c, se, f"K={K}",
                        is_valid(m, family.kind, units, family.pmin), secs[m]))
    return out


# ---------------------------------------------------------------------------------------------
# summaries
def average(cells: list[Cell], method: str) -> tuple[float, float, float, int]:
    """(average, SE of the average, minimum, number of points) over the valid points of ``method``."""
    sel = [c for c in cells if c.method == method and c.valid]
    if not sel:
        return math.nan, math.nan, math.nan, 0
    cov = np.array([c.coverage for c in sel])
    se = math.sqrt(sum(c.se ** 2 for c in sel)) / len(sel)
    return float(cov.mean()), se, float(cov.min()), len(sel)


# =============================================================================================
# the CI-sized battery
pytestmark = pytest.mark.slow

TEST_N_BINARY = (10, 20, 50, 100, 300, 1000)
TEST_SEEDS = (0, 1, 2)  # R = 3 bootstrap seeds per enumeration point (SE = sd / sqrt(3))
TEST_K = 600
TEST_B = 1000
TEST_GRID = (  # (family, n); every data kind, small and moderate n
    ("beta(2,2)", 50),
    ("beta(8,2)", 300),
    ("beta(0.5,4.5)", 20),
    ("beta(0.5,4.5)", 100),
    ("reward 2*Gamma(2)-3", 10),
    ("reward 2*Gamma(2)-3", 100),
    ("clustered 0/1 p=0.5 icc=0.2", 50),  # 10 clusters: auto uses wilson_cluster below 30
    ("clustered 0/1 p=0.5 icc=0.2", 150),
    ("clustered 0/1 p=0.9 icc=0.2", 50),
    ("clustered 0/1 p=0.9 icc=0.2", 150),
    ("clustered 0/1 p=0.9 icc=0.2", 500),
    ("clustered beta mean=0.6", 250),
    ("5 samples q~beta(1.5,3.5)", 30),
    ("5 samples q~beta(4.5,0.5)", 200),
)

# Known misses of the requirements, measured by benchmarks/bench_coverage.py (full grid) and by an
# independent numpy simulation; reported to the lead. Strict xfails: they turn into failures
# (XPASS) as soon as the behaviour changes, so the marker has to be removed then.
EXACT_CONSERVATIVE = (
    "Clopper-Pearson is conservative by construction (coverage >= 95% at every p, Clopper & Pearson "
    "1934): its average over the binary grid is 97.3% here and 97.0% on the full grid (n = 10..10,000), "
    "above 96.5%; its guarantee is checked in test_exact_never_below_nominal")
AUTO_SKEWED_N10 = (  # history: why auto uses the studentized bootstrap below 50 continuous items
    "auto picked the Student t interval for continuous scores with n < 50; on strongly right-skewed "
    "scores (Beta(0.5, 4.5), skewness 1.87) at n = 10 it covers 88.6% here (K=4000, SE 0.5), 88.4% in the "
    "benchmark (K=1000) and 89.3% with K=8000 (SE 0.35); an independent numpy simulation of the t "
    "interval gives 88.8% (200,000 data sets). A studentized (bootstrap-t) interval covers 94.3% there (numpy, 3,000 data sets)")


@pytest.fixture(scope="module")
def battery() -> list[Cell]:
    cells: list[Cell] = []
    for n in TEST_N_BINARY:
        cells += binary_exact(n, n_resamples=TEST_B, seeds=TEST_SEEDS)
    for name, n in TEST_GRID:
        cells += simulate(FAMILIES[name], n, TEST_K, n_resamples=TEST_B, seed=0, valid_only=True)
    return cells


@pytest.mark.parametrize("method", [
    pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=EXACT_CONSERVATIVE)) if m == "exact" else m
    for m in METHODS])
def test_average_coverage_within_bounds(battery, method):
    """Average coverage over the points where the method is valid lies in [93.5 %, 96.5 %]
    (issue 2 §5), up to 3 Monte Carlo SE of the average (module docstring)."""
    avg, se, mn, J = average(battery, method)
    assert J >= 5, f"{method}: only {J} valid grid points"
    lo, hi = BOUND_LOW - Z_TOL * se, BOUND_HIGH + Z_TOL * se
    table = ", ".join(f"{c.label}: {c.coverage:.3f}" for c in battery if c.method == method and c.valid)
    assert lo <= avg <= hi, (f"{method}: average coverage {avg:.4f} (SE {se:.4f}, min {mn:.3f}, {J} points) "
                             f"outside [{lo:.4f}, {hi:.4f}]; points: {table}")


def test_auto_floor_at_every_point(battery):
    """``auto`` covers >= 91 % at every grid point (issue 2 §5), up to 3 SE of each point."""
    bad = [f"{c.label}: {c.coverage:.3f} (SE {c.se:.3f})" for c in battery
           if c.method == "auto" and c.coverage < AUTO_FLOOR - Z_TOL * c.se]
    assert not bad, f"auto below {AUTO_FLOOR:.0%}: {bad}"


def test_exact_never_below_nominal(battery):
    """Clopper-Pearson's own guarantee: coverage >= 95 % at every (n, p) (Clopper & Pearson 1934).
    Enumeration points are exact (SE 0), so no tolerance."""
    cells = [c for c in battery if c.method == "exact"]
    assert len(cells) == len(TEST_N_BINARY) * len(P_GRID)
    low = [(c.label, round(c.coverage, 4)) for c in cells if c.coverage < LEVEL]
    assert not low, low


def test_auto_floor_skewed_continuous_n10():
    """auto >= 91 % (up to 3 SE) for strongly skewed continuous scores at n = 10. K = 4,000 gives
    SE = 0.5 pp, enough to tell 88.8 % from 91 % (the 3-SE threshold is 89.5 %)."""
    (cell,) = simulate(FAMILIES["beta(0.5,4.5)"], 10, 4000, ("auto",), n_resamples=TEST_B, seed=0, chunk=500)
    assert cell.coverage >= AUTO_FLOOR - Z_TOL * cell.se, (cell.coverage, cell.se)


def test_auto_floor_tied_nested_samples_n10():
    """auto >= 91 % (up to 3 SE) where bootstrap-t breaks down: 10 items whose scores are means of 5
    0/1 samples with q ~ Beta(4.5, 0.5), so about 68 % of items score exactly 1.0 and se* is often 0
    (the studentized interval covered 80.7 % there in benchmarks/bench_coverage.py; auto switches to t
    when more than half of the items are tied). K = 2,000: SE ~ 0.6 pp."""
    (cell,) = simulate(FAMILIES["5 samples q~beta(4.5,0.5)"], 10, 2000, ("auto",), n_resamples=TEST_B, seed=1,
                       chunk=500)
    assert cell.coverage >= AUTO_FLOOR - Z_TOL * cell.se, (cell.coverage, cell.se)


def _reference_coverage(n: int, p: float, ci) -> float:
    """sum_k Binom(k; n, p) 1{p in ci(k)} with an interval function from an independent library."""
    ks = np.arange(n + 1)
    lo, hi = ci(ks)
    return float(np.sum(stats.binom.pmf(ks, n, p) * ((lo <= p) & (p <= hi))))


def test_n20_p095_auto_holds_where_clt_fails():
    """n = 20, p = 0.95 (Bowyer et al. 2025: the CLT covers about 64 % there)."""
    from statsmodels.stats.proportion import proportion_confint

    cells = {c.method: c for c in binary_exact(20, (0.95,), ("auto", "wilson", "clt"), seeds=(0,))}
    # Reference 1: the normal interval with the sample sd (ddof=1, as the leaderboard's `se` column),
    # p_hat +- z sqrt(p_hat (1 - p_hat) / (n - 1)); closed form, scipy only.
    z = stats.norm.ppf(0.975)
    clt_ref = _reference_coverage(20, 0.95, lambda k: (k / 20 - z * np.sqrt(k / 20 * (1 - k / 20) / 19),
                                                       k / 20 + z * np.sqrt(k / 20 * (1 - k / 20) / 19)))
    # covered iff 16 <= k <= 19: 1 - 0.95^20 - P(k <= 15) = 1 - 0.3585 - 0.0026 = 0.6389
    assert clt_ref == pytest.approx(0.6389, abs=5e-4)
    assert cells["clt"].coverage == pytest.approx(clt_ref, abs=1e-12)
    assert cells["clt"].coverage < 0.70  # "well below 90 %"
    # Reference 2: statsmodels' Wilson interval; auto picks Wilson here (binary, n < 500).
    wilson_ref = _reference_coverage(20, 0.95, lambda k: proportion_confint(k, 20, alpha=0.05, method="wilson"))
    assert cells["wilson"].coverage == pytest.approx(wilson_ref, abs=1e-12)
    assert cells["auto"].coverage == pytest.approx(wilson_ref, abs=1e-12)
    assert cells["auto"].coverage >= AUTO_FLOOR


def test_enumeration_agrees_with_plain_simulation():
    """The enumeration shortcut equals plain simulation: 2,000 independent binary data sets at
    n = 20, p = 0.95 (as models of one frame) give the exact coverage within 3 binomial SE."""
    methods = ("clt", "wilson", "percentile")
    exact = {c.method: c.coverage for c in binary_exact(20, (0.95,), methods, n_resamples=TEST_B, seeds=(0,))}
    fam = Family("binary p=0.95", "binary", 0.95, 0.05,
                 lambda rng, K, n: (rng.random((K, n)) < 0.95).astype(np.float64))
    sim = {c.method: c for c in simulate(fam, 20, 2000, methods, n_resamples=TEST_B, seed=3, chunk=500)}
    for m, c in exact.items():
        assert abs(sim[m].coverage - c) <= Z_TOL * math.sqrt(c * (1 - c) / 2000), (m, sim[m].coverage, c)


def test_binomial_coverage_matches_statsmodels():
    """Exact coverage of wilson / exact (Clopper-Pearson) over the p grid at n = 50 equals the
    coverage of statsmodels' intervals (independent implementation)."""
    from statsmodels.stats.proportion import proportion_confint

    cells = binary_exact(50, P_GRID, ("wilson", "exact"), seeds=(0,))
    for c in cells:
        sm = "beta" if c.method == "exact" else "wilson"
        ref = _reference_coverage(50, c.truth, lambda k: proportion_confint(k, 50, alpha=0.05, method=sm))
        assert c.coverage == pytest.approx(ref, abs=1e-9), (c.method, c.truth)


def test_k_groups_cover_the_binomial_mass():
    """The enumerated k sets leave out less than 1e-5 of each binomial's mass."""
    for n in (10, 1000, 10_000):
        groups = k_groups(n, P_GRID)
        for p in P_GRID:
            g = next(g for g in groups if g[0] <= n * p <= g[-1])
            assert stats.binom.pmf(g, n, p).sum() > 1 - 1e-5
