"""``ew.leaderboard`` / ``ew.compare`` / ``ew.significance`` against independent references.

References: statsmodels (``proportion_confint``, ``mcnemar``, ``multipletests``, cluster-robust OLS),
scipy.stats (``binomtest``, ``t``, ``sem``, ``bootstrap``), exact enumeration and closed forms.
Monte Carlo tolerances are derived next to each assertion from the number of replicates; they are
4 standard errors of the quantity compared (two-sided, ~6e-5 false-alarm rate per comparison).
Frames are built from numpy with ``ew.from_frame`` so each test controls its structure exactly.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import polars as pl
import pytest
import scipy.stats as st
from scipy.special import ndtr, ndtri
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

import evalwidgets as ew
from evalwidgets.errors import SmallSampleWarning

Z4 = 4.0  # tolerance in standard errors


def frame(X, *, models=None, present=None, task=None, cluster=None):
    """ResultFrame from an (items x models) score matrix; ``present`` masks missing cells."""
    X = np.asarray(X, dtype=float)
    N, M = X.shape
    models = models or [f"m{j}" for j in range(M)]
    present = np.ones_like(X, bool) if present is None else present
    cols = {"model": [], "item": [], "score": []}
    if task is not None:
        cols["task"] = []
    if cluster is not None:
        cols["cluster"] = []
    for j in range(M):
        for i in range(N):
            if present[i, j]:
                cols["model"].append(models[j])
                cols["item"].append(f"i{i:05d}")
                cols["score"].append(X[i, j])
                if task is not None:
                    cols["task"].append(f"t{task[i]}")
                if cluster is not None:
                    cols["cluster"].append(f"c{cluster[i]}")
    roles = {k: k for k in ("task", "cluster") if k in cols}
    return ew.from_frame(pl.DataFrame(cols), **roles)


def row(result, model):
    return result.table.filter(pl.col("model") == model).row(0, named=True)


# -- binomial intervals -----------------------------------------------------------------------------
N_BIN = 40
KS = [0, 1, 7, 20, 33, 39, 40]


def _binomial_frame():
    X = np.zeros((N_BIN, len(KS)))
    for j, k in enumerate(KS):
        X[:k, j] = 1.0
    return frame(X, models=[f"k{k}" for k in KS])


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_binomial_intervals_match_statsmodels_and_scipy(level):
    rf = _binomial_frame()
    alpha = 1 - level
    out = {m: ew.leaderboard(rf, method=m, ci=level, n_resamples=200, seed=0) for m in ("wilson", "jeffreys", "exact")}
    for k in KS:
        name = f"k{k}"
        w = row(out["wilson"], name)
        assert (w["method"], w["level"], w["n_items"]) == ("wilson", level, N_BIN)
        # statsmodels.stats.proportion.proportion_confint(method="wilson")
        np.testing.assert_allclose([w["ci_low"], w["ci_high"]],
                                   proportion_confint(k, N_BIN, alpha=alpha, method="wilson"), rtol=1e-10, atol=1e-12)
        # Clopper-Pearson: scipy.stats.binomtest(k, n).proportion_ci("exact") and statsmodels "beta"
        e = row(out["exact"], name)
        ref = st.binomtest(k, N_BIN).proportion_ci(confidence_level=level, method="exact")
        np.testing.assert_allclose([e["ci_low"], e["ci_high"]], [ref.low, ref.high], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([e["ci_low"], e["ci_high"]],
                                   proportion_confint(k, N_BIN, alpha=alpha, method="beta"), rtol=1e-10, atol=1e-12)
        # Jeffreys: statsmodels' equal-tailed Beta(k+1/2, n-k+1/2) quantiles, with the boundary
        # modification of Brown, Cai & DasGupta (2001, sec. 4.1.2): lower = 0 at k = 0, upper = 1 at k = n
        j = row(out["jeffreys"], name)
        lo, hi = proportion_confint(k, N_BIN, alpha=alpha, method="jeffreys")
        lo, hi = (0.0 if k == 0 else lo), (1.0 if k == N_BIN else hi)
        np.testing.assert_allclose([j["ci_low"], j["ci_high"]], [lo, hi], rtol=1e-10, atol=1e-12)


def test_auto_uses_wilson_for_small_binary_samples():
    # Bowyer et al. (2025): n = 20 with p-hat = 0.95 -> a binomial interval, not the CLT
    X = np.zeros((20, 1))
    X[:19] = 1.0
    t = ew.leaderboard(frame(X), n_resamples=200, seed=0).table.row(0, named=True)
    assert t["method"] == "wilson"
    np.testing.assert_allclose([t["ci_low"], t["ci_high"]], proportion_confint(19, 20, alpha=0.05, method="wilson"),
                               rtol=1e-10)


# -- analytic intervals for continuous scores ----------------------------------------------------------
def _continuous(n, M=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.gamma(2.0, 0.2, size=(n, M)) + 0.05 * np.arange(M)


def test_t_interval_matches_scipy():
    X = _continuous(25)
    lb = ew.leaderboard(frame(X), method="t", n_resamples=200, seed=0)
    for j in range(X.shape[1]):
        r = row(lb, f"m{j}")
        x = X[:, j]
        # scipy.stats.t.interval(0.95, df=n-1, loc=mean, scale=sem)
        ref = st.t.interval(0.95, df=x.size - 1, loc=x.mean(), scale=st.sem(x))
        np.testing.assert_allclose([r["ci_low"], r["ci_high"]], ref, rtol=1e-12)
        assert r["method"] == "t"


def test_clt_interval_closed_form_and_small_sample_warning():
    X = _continuous(30)
    with pytest.warns(SmallSampleWarning, match=r"method='clt' with n=30 items: the normal approximation "
                                                r"undercovers"):
        lb = ew.leaderboard(frame(X), method="clt", n_resamples=200, seed=0)
    z = st.norm.ppf(0.975)
    for j in range(X.shape[1]):
        r = row(lb, f"m{j}")
        x = X[:, j]
        # closed form: mean +- z_{0.975} * s / sqrt(n), s with ddof=1
        se = x.std(ddof=1) / np.sqrt(x.size)
        np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [x.mean() - z * se, x.mean() + z * se], rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallSampleWarning)
        ew.leaderboard(frame(_continuous(120)), method="clt", n_resamples=200, seed=0)


def test_se_is_scipy_sem_over_own_items():
    X = _continuous(50)
    present = np.ones_like(X, bool)
    present[::4, 1] = False  # m1 lacks every 4th item
    lb = ew.leaderboard(frame(X, present=present), n_resamples=200, seed=0)
    for j in range(X.shape[1]):
        x = X[present[:, j], j]
        r = row(lb, f"m{j}")
        assert r["n_items"] == x.size
        assert r["score"] == pytest.approx(x.mean(), rel=1e-14)
        assert r["se"] == pytest.approx(st.sem(x), rel=1e-12)  # scipy.stats.sem: ddof=1


# -- bootstrap intervals vs scipy.stats.bootstrap ---------------------------------------------------------
B_CI = 10_000


def _quantile_se(dist, level, B):
    """MC standard error of the ``level`` quantile of B bootstrap replicates:
    sqrt(level (1 - level) / B) * sparsity, the sparsity dQ/dp estimated by a central difference of
    the (independent) scipy bootstrap distribution."""
    h = 0.01
    lo, hi = max(level - h, 1e-4), min(level + h, 1 - 1e-4)
    sparsity = (np.quantile(dist, hi) - np.quantile(dist, lo)) / (hi - lo)
    return sparsity * np.sqrt(level * (1 - level) / B), sparsity


def _bca_levels(x, dist, level=0.95):
    """BCa percentile levels (Efron 1987) from scipy's bootstrap distribution, and their MC SE from
    the estimated bias correction z0 (a proportion of B replicates)."""
    theta = x.mean()
    p = (np.sum(dist < theta) + np.sum(dist <= theta)) / (2 * dist.size)
    z0 = ndtri(p)
    jack = (x.sum() - x) / (x.size - 1)
    d = jack.mean() - jack
    acc = np.sum(d ** 3) / (6 * np.sum(d ** 2) ** 1.5)
    se_z0 = np.sqrt(p * (1 - p) / dist.size) / st.norm.pdf(z0)
    out = []
    for a in ((1 - level) / 2, (1 + level) / 2):
        za = ndtri(a)
        arg = z0 + (z0 + za) / (1 - acc * (z0 + za))
        lev = ndtr(arg)
        dlev = st.norm.pdf(arg) * (1 + 1 / (1 - acc * (z0 + za)) ** 2)  # d level / d z0
        out.append((lev, dlev * se_z0))
    return out


@pytest.mark.parametrize("n_models", [1, 3], ids=["one-model fast path", "three models"])
@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_bootstrap_intervals_match_scipy_bootstrap(method, n_models):
    rng = np.random.default_rng(42)
    X = rng.lognormal(0.0, 0.9, size=(80, n_models))  # skewed: BCa differs from the percentile interval
    lb = ew.leaderboard(frame(X), method=method, n_resamples=B_CI, seed=1)
    for j in range(n_models):
        x = X[:, j]
        ref = st.bootstrap((x,), np.mean, n_resamples=B_CI, method={"bca": "BCa"}.get(method, method),
                           confidence_level=0.95, rng=np.random.default_rng(100 + j))
        dist = ref.bootstrap_distribution
        r = row(lb, f"m{j}")
        assert r["method"] == method
        if method == "bca":
            levels = _bca_levels(x, dist)
        else:
            levels = [(0.025, 0.0), (0.975, 0.0)]
        for got, want, (lev, se_lev) in zip((r["ci_low"], r["ci_high"]), (ref.confidence_interval.low,
                                                                            ref.confidence_interval.high), levels):
            se_q, sparsity = _quantile_se(dist, lev, B_CI)
            # two independent MC estimates (ours and scipy's): SE of the difference is sqrt(2) x;
            # BCa adds the MC error of its estimated level (z0 from B replicates)
            se = np.sqrt(2.0) * np.hypot(se_q, sparsity * se_lev)
            assert abs(got - want) < Z4 * se, (method, j, got, want, se)


# -- ranks, P(best), tiers --------------------------------------------------------------------------------------
def test_rank_probabilities_are_distributions_and_a_dominant_model_wins():
    rng = np.random.default_rng(5)
    n = 200
    X = rng.normal(size=(n, 4)) + np.array([0.0, 0.05, 0.1, 1.0])  # m3 is ~9 SE(diff) ahead
    lb = ew.leaderboard(frame(X), n_resamples=4000, seed=2)
    t = lb.table
    assert t["p_best"].sum() == pytest.approx(1.0, abs=1e-12)
    rp = lb.rank_probs
    # continuous scores: no ties, so every replicate is a permutation -> rows and columns sum to 1
    by_model = rp.group_by("model").agg(pl.col("probability").sum())["probability"].to_numpy()
    by_rank = rp.group_by("rank").agg(pl.col("probability").sum())["probability"].to_numpy()
    np.testing.assert_allclose(by_model, 1.0, atol=1e-12)
    np.testing.assert_allclose(by_rank, 1.0, atol=1e-12)
    top = row(lb, "m3")
    assert (top["rank"], top["rank_low"], top["rank_high"]) == (1, 1, 1)
    assert top["p_best"] == 1.0  # P(not first) ~ 3 Phi(-9): never in 4000 replicates
    p1 = rp.filter(pl.col("rank") == 1).sort("model")["probability"].to_numpy()
    np.testing.assert_allclose(p1, t.sort("model")["p_best"].to_numpy(), atol=1e-12)
    assert (t["rank_low"] <= t["rank"]).all() and (t["rank"] <= t["rank_high"]).all()


def test_p_best_matches_an_independent_paired_bootstrap():
    """Two strongly correlated models 0.5 SE(paired) apart: P(best) of the paired bootstrap is
    about Phi(0.5) ~ 0.7, far from the ~0.5 an unpaired draw gives. Reference: a numpy
    paired bootstrap (same items for both models) with 40,000 replicates."""
    rng = np.random.default_rng(9)
    n = 150
    common = rng.normal(size=n)
    X = np.column_stack([common + 0.1 * rng.normal(size=n), common + 0.1 * rng.normal(size=n)])
    X[:, 1] += 0.5 * 0.1 * np.sqrt(2) / np.sqrt(n)  # 0.5 paired SE (sd of d = 0.1 sqrt 2) ahead
    B = 10_000
    lb = ew.leaderboard(frame(X), method="percentile", n_resamples=B, seed=3)
    ours = row(lb, "m1")["p_best"]
    R = 40_000
    idx = np.random.default_rng(0).integers(0, n, size=(R, n))
    diff = X[idx, 1].mean(1) - X[idx, 0].mean(1)
    ref = np.mean(diff > 0) + 0.5 * np.mean(diff == 0)
    se = np.sqrt(ref * (1 - ref) * (1 / B + 1 / R))
    assert abs(ours - ref) < Z4 * se, (ours, ref, se)
    assert 0.6 < ref < 0.8  # the scenario is what the docstring says


def test_tiers_separate_clearly_different_models_and_merge_identical_ones():
    rng = np.random.default_rng(1)
    n = 300
    X = (rng.random((n, 3)) < np.array([0.2, 0.5, 0.8])).astype(float)
    t = ew.leaderboard(frame(X), n_resamples=1000, seed=0).table
    assert t["model"].to_list() == ["m2", "m1", "m0"]
    assert t["tier"].to_list() == [1, 2, 3]
    same = np.repeat(X[:, :1], 3, axis=1)  # three identical models: no discordant items
    assert ew.leaderboard(frame(same), n_resamples=1000, seed=0).table["tier"].to_list() == [1, 1, 1]
    cont = np.repeat(rng.normal(size=(60, 1)), 3, axis=1)  # identical continuous models: T = 0
    assert ew.leaderboard(frame(cont), n_resamples=1000, seed=0).table["tier"].to_list() == [1, 1, 1]


# -- compare ------------------------------------------------------------------------------------------------------
N11, N10, N01, N00 = 40, 18, 7, 35


def _paired_binary():
    a = np.array([1] * N11 + [1] * N10 + [0] * N01 + [0] * N00, float)
    b = np.array([1] * N11 + [0] * N10 + [1] * N01 + [0] * N00, float)
    return frame(np.column_stack([a, b]), models=["a", "b"])


def test_compare_binary_mcnemar_and_beta_posterior():
    r = ew.compare(_paired_binary(), "a", "b", n_resamples=2000, seed=0)
    t = r.table.row(0, named=True)
    n = N11 + N10 + N01 + N00
    assert t["n_items"] == n and t["test"] == "mcnemar-exact"
    assert t["score_a"] == pytest.approx((N11 + N10) / n) and t["score_b"] == pytest.approx((N11 + N01) / n)
    assert t["delta"] == pytest.approx((N10 - N01) / n)
    # statsmodels.stats.contingency_tables.mcnemar(table, exact=True)
    ref = mcnemar([[N11, N10], [N01, N00]], exact=True).pvalue
    assert t["p_value"] == pytest.approx(ref, rel=1e-12)
    assert r.table2x2["count"].to_list() == [N11, N10, N01, N00]
    # P(A > B) under the Dirichlet(1/2) posterior of the paired 2x2 cells: P(theta_10 > theta_01);
    # Monte Carlo with 10^6 draws, SE = sqrt(p (1 - p) / 10^6)
    D = np.random.default_rng(0).dirichlet([N11 + 0.5, N10 + 0.5, N01 + 0.5, N00 + 0.5], size=1_000_000)
    mc = np.mean(D[:, 1] > D[:, 2])
    assert abs(t["p_a_better"] - mc) < Z4 * np.sqrt(mc * (1 - mc) / 1e6) + 1e-12


def _sign_flip_data(n=12):
    rng = np.random.default_rng(12)
    d = rng.normal(0.45, 1.0, size=n)  # chosen so the exact p is ~0.1 (asserted below)
    base = rng.normal(size=n)
    return base + d, base, d


def test_compare_sign_flip_p_matches_exact_enumeration():
    a, b, d = _sign_flip_data()
    n = d.size
    # exact permutation distribution: all 2^12 sign vectors
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    T = np.abs(signs @ d)
    t_obs = abs(d.sum())
    p_exact = np.mean(T >= t_obs - 1e-9 * max(1.0, t_obs))
    assert 0.03 < p_exact < 0.3
    B = 20_000
    r = ew.compare(frame(np.column_stack([a, b]), models=["a", "b"]), "a", "b", n_resamples=B, seed=4)
    t = r.table.row(0, named=True)
    assert t["test"] == "sign-flip permutation"
    # ours: (1 + hits) / (B + 1), hits ~ Binomial(B, p_exact)
    expected = (1 + B * p_exact) / (B + 1)
    assert abs(t["p_value"] - expected) < Z4 * np.sqrt(p_exact * (1 - p_exact) / B)
    assert t["delta"] == pytest.approx(d.mean(), rel=1e-12)


def test_compare_continuous_p_a_better_is_a_bayesian_bootstrap():
    """Reference: Rubin's (1981) Bayesian bootstrap of the mean paired difference, P(sum w d > 0)
    with w ~ Dirichlet(1, ..., 1), by Monte Carlo with 200,000 draws."""
    a, b, d = _sign_flip_data(30)
    B = 10_000
    t = ew.compare(frame(np.column_stack([a, b]), models=["a", "b"]), "a", "b", n_resamples=B, seed=5).table
    ours = t["p_a_better"][0]
    W = np.random.default_rng(1).dirichlet(np.ones(d.size), size=200_000)
    ref = np.mean(W @ d > 0)
    se = np.sqrt(ref * (1 - ref) * (1 / B + 1 / 200_000))
    assert abs(ours - ref) < Z4 * se, (ours, ref, se)


def test_compare_percentile_interval_uses_the_leaderboard_draws():
    """Paired by construction: with the same seed, compare's percentile interval is the quantiles of
    the difference of leaderboard's replicate means (same items drawn for both models)."""
    rng = np.random.default_rng(2)
    # 0/1 scores: both paths sum integer counts exactly (float32 is exact there), so any difference
    # beyond rounding would mean different item draws
    X = (rng.random((70, 2)) < np.array([0.6, 0.45])).astype(float)
    rf = frame(X, models=["a", "b"])
    B = 2000
    lb = ew.leaderboard(rf, method="percentile", n_resamples=B, seed=6)
    reps = lb.replicates
    order = rf.matrix().models
    diff = reps[:, order.index("a")] - reps[:, order.index("b")]
    t = ew.compare(rf, "a", "b", method="percentile", n_resamples=B, seed=6).table.row(0, named=True)
    np.testing.assert_allclose([t["ci_low"], t["ci_high"]], np.quantile(diff, [0.025, 0.975]), rtol=1e-9)


# -- significance -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("correction, sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_significance_adjustment_matches_statsmodels(correction, sm_method):
    rng = np.random.default_rng(8)
    n = 200
    X = (rng.random((n, 5)) < np.array([0.50, 0.53, 0.58, 0.62, 0.70])).astype(float)
    s = ew.significance(frame(X), correction=correction, n_resamples=500, seed=0).table
    assert s.height == 10
    p = s["p_value"].to_numpy()
    # statsmodels.stats.multitest.multipletests(p, method=...)
    np.testing.assert_allclose(s["p_adjusted"].to_numpy(), multipletests(p, method=sm_method)[1], rtol=1e-12)
    assert (s["significant"].to_numpy() == (s["p_adjusted"].to_numpy() < 0.05)).all()
    # each raw p is the exact McNemar p of the pair (statsmodels)
    for ra in s.iter_rows(named=True):
        xa, xb = X[:, int(ra["model_a"][1:])], X[:, int(ra["model_b"][1:])]
        table = [[np.sum((xa == 1) & (xb == 1)), np.sum((xa == 1) & (xb == 0))],
                 [np.sum((xa == 0) & (xb == 1)), np.sum((xa == 0) & (xb == 0))]]
        assert ra["p_value"] == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-12)
        assert ra["delta"] == pytest.approx(xa.mean() - xb.mean(), abs=1e-14)
    assert min(p) < 0.01 < max(p)  # the scenario spans significant and non-significant pairs


# -- structure: strata, clusters, missing cells -------------------------------------------------------------------
def test_stratified_bootstrap_keeps_every_task_size():
    """With stratify='task' each replicate draws n_s items from task s, so a model that scores 1 on
    every item of task 0 and 0 on every item of task 1 has the same mean in every replicate
    (n_0 / N); an iid bootstrap moves it."""
    n0, n1 = 30, 50
    task = np.array([0] * n0 + [1] * n1)
    rng = np.random.default_rng(3)
    X = np.column_stack([(task == 0).astype(float), (rng.random(n0 + n1) < 0.5).astype(float)])
    rf = frame(X, models=["split", "noise"], task=task)
    models = rf.matrix().models
    strat = ew.leaderboard(rf, n_resamples=500, seed=0, stratify="task").replicates[:, models.index("split")]
    np.testing.assert_allclose(strat, n0 / (n0 + n1), rtol=0, atol=1e-12)
    iid = ew.leaderboard(rf, n_resamples=500, seed=0).replicates[:, models.index("split")]
    assert iid.std() > 0.03


def test_stratified_bootstrap_se_matches_the_closed_form():
    """Stratified bootstrap variance of the overall mean (Rao & Wu 1988):
    Var* = sum_s (n_s / N)^2 * s2_s / n_s with s2_s the within-task variance (ddof=0).
    Tolerance: SE of a standard deviation from B near-normal replicates, sd * sqrt(1 / (2B))."""
    rng = np.random.default_rng(6)
    sizes = [30, 50, 20, 40]
    task = np.repeat(np.arange(4), sizes)
    x = rng.normal(loc=task.astype(float), scale=0.3)
    X = np.column_stack([x, x[::-1]])
    rf = frame(X, task=task)
    B = 10_000
    reps = ew.leaderboard(rf, n_resamples=B, seed=7, stratify="task").replicates[:, rf.matrix().models.index("m0")]
    N = x.size
    want = np.sqrt(sum(np.sum(task == s) * x[task == s].var() for s in range(4))) / N
    assert abs(reps.std() / want - 1) < Z4 * np.sqrt(1 / (2 * B))
    iid = x.std() / np.sqrt(N)  # the iid bootstrap SE is ~4x larger here
    assert want < iid / 3


def test_cluster_bootstrap_se_matches_cluster_robust_se():
    """Cluster bootstrap (units = clusters) of the mean vs the CR0 cluster-robust SE
    sqrt(sum_g e_g^2) / N, e_g = sum over cluster g of (x - mean) (Liang & Zeger 1986), computed by
    statsmodels OLS on a constant with cov_type='cluster', use_correction=False. Clusters have equal
    size, so the mean is linear in the cluster counts and the two agree exactly in expectation.
    Tolerance: sd * sqrt(1 / (2B))."""
    import statsmodels.api as sm

    rng = np.random.default_rng(10)
    G, m = 60, 5
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=G)[g] + 0.5 * rng.normal(size=G * m)
    X = np.column_stack([x, rng.normal(size=G * m)])
    rf = frame(X, cluster=g)
    B = 10_000
    lb = ew.leaderboard(rf, n_resamples=B, seed=8)
    assert lb.spec["resampling"] == "cluster" and lb.spec["n_units"] == G
    assert row(lb, "m0")["method"] == "bca"  # auto: clustered bootstrap
    reps = lb.replicates[:, rf.matrix().models.index("m0")]
    fit = sm.OLS(x, np.ones_like(x)).fit(cov_type="cluster", cov_kwds={"groups": g, "use_correction": False})
    want = fit.bse[0]
    assert abs(reps.std() / want - 1) < Z4 * np.sqrt(1 / (2 * B))
    assert want > 1.5 * x.std() / np.sqrt(x.size)  # clustering matters in this scenario


def test_cluster_t_interval_matches_statsmodels_cluster_robust_se():
    """With a cluster role, method='t' is mean +- t_{G-1} * se_CR1, where se_CR1 is statsmodels'
    cluster-robust SE of OLS on a constant (cov_type='cluster', default small-sample correction
    G/(G-1) * (N-1)/(N-k) = G/(G-1) for k = 1); auto picks it below 30 clusters (Cameron & Miller 2015)."""
    import statsmodels.api as sm
    from scipy import stats as st

    rng = np.random.default_rng(12)
    G, m = 12, 4
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=G)[g] + 0.5 * rng.normal(size=G * m)
    rf = frame(np.column_stack([x, x + 1.0]), cluster=g)
    fit = sm.OLS(x, np.ones_like(x)).fit(cov_type="cluster", cov_kwds={"groups": g})
    half = st.t.ppf(0.975, G - 1) * fit.bse[0]
    for method in ("t", "auto"):
        r = row(ew.leaderboard(rf, method=method, n_resamples=200, seed=0), "m0")
        assert r["method"] == "t"
        np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [x.mean() - half, x.mean() + half], rtol=1e-10)


def test_wilson_cluster_is_wilson_at_the_effective_sample_size():
    """Clustered 0/1 scores, few clusters: auto's ``wilson_cluster`` is Wilson's score interval at
    n_eff = p(1-p) / se_CR1^2 (statsmodels cluster-robust SE of the mean) with the t_{G-1} quantile
    in place of z (Korn & Graubard 1998); closed form written out here."""
    import statsmodels.api as sm
    from scipy import stats as st

    rng = np.random.default_rng(13)
    G, m = 15, 6
    g = np.repeat(np.arange(G), m)
    x = (rng.random(G)[g] * 0.6 + 0.3 > rng.random(G * m)).astype(float)
    rf = frame(np.column_stack([x, 1 - x]), cluster=g)
    r = row(ew.leaderboard(rf, n_resamples=200, seed=0), "m0")
    assert r["method"] == "wilson_cluster"
    p = x.mean()
    se = sm.OLS(x, np.ones_like(x)).fit(cov_type="cluster", cov_kwds={"groups": g}).bse[0]
    neff = min(x.size, p * (1 - p) / se ** 2)
    z = st.t.ppf(0.975, G - 1)
    centre = (p + z * z / (2 * neff)) / (1 + z * z / neff)
    half = z * np.sqrt(p * (1 - p) / neff + z * z / (4 * neff ** 2)) / (1 + z * z / neff)
    np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [centre - half, centre + half], rtol=1e-10)


def test_missing_cells_own_items_for_scores_shared_items_for_pairs():
    rng = np.random.default_rng(11)
    n = 50
    X = rng.normal(size=(n, 2)) + np.array([0.3, 0.0])
    present = np.ones_like(X, bool)
    present[:10, 1] = False  # b lacks the first 10 items
    rf = frame(X, models=["a", "b"], present=present)
    lb = ew.leaderboard(rf, n_resamples=500, seed=0)
    assert row(lb, "a")["n_items"] == n and row(lb, "b")["n_items"] == n - 10
    assert row(lb, "a")["score"] == pytest.approx(X[:, 0].mean(), rel=1e-14)
    assert row(lb, "b")["score"] == pytest.approx(X[10:, 1].mean(), rel=1e-14)
    t = ew.compare(rf, "a", "b", n_resamples=500, seed=0).table.row(0, named=True)
    assert t["n_items"] == n - 10
    assert t["score_a"] == pytest.approx(X[10:, 0].mean(), rel=1e-14)
    assert t["score_b"] == pytest.approx(X[10:, 1].mean(), rel=1e-14)
    assert t["delta"] == pytest.approx((X[10:, 0] - X[10:, 1]).mean(), rel=1e-12)
    s = ew.significance(rf, n_resamples=500, seed=0).table.row(0, named=True)
    assert s["n_items"] == n - 10 and s["delta"] == pytest.approx(t["delta"], rel=1e-12)
