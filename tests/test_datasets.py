"""Tests of evalwidgets.datasets: determinism, shapes/roles, ground truth, missing cells, paired_binary."""
from __future__ import annotations

import itertools
import math
import re
import time

import numpy as np
import polars as pl
import pytest
from scipy import integrate, special, stats

import evalwidgets as ew
from evalwidgets import datasets as ds
from evalwidgets.errors import SchemaError

MISSING = "item missing for some models"


def _frames_equal(a, b) -> bool:
    return a.data.equals(b.data)


# --------------------------------------------------------------------------------------------
# determinism
@pytest.mark.parametrize("kwargs", [
    {},
    {"scores": "continuous", "n_tasks": 3, "n_categories": 5, "taxonomy_depth": 2, "n_clusters": 12,
     "cluster_sd": 0.5, "n_samples": 3, "sample_sd": 0.4, "n_prompts": 2, "prompt_sd": 0.3, "missing_rate": 0.1},
    {"scores": "unbounded", "interaction_sd": 0.3, "n_tasks": 2},
])
def test_same_seed_same_frame_other_seed_differs(kwargs):
    a = ds.simulate(5, 120, seed=7, **kwargs)
    b = ds.simulate(5, 120, seed=7, **kwargs)
    c = ds.simulate(5, 120, seed=8, **kwargs)
    assert _frames_equal(a, b)
    assert a.spec["truth"] == b.spec["truth"]
    assert not _frames_equal(a, c)
    assert a.spec["truth"]["skill"] != c.spec["truth"]["skill"]


def test_paired_binary_and_examples_are_deterministic():
    assert _frames_equal(ds.paired_binary(300, 0.7, 0.6, 0.2, seed=3), ds.paired_binary(300, 0.7, 0.6, 0.2, seed=3))
    assert not _frames_equal(ds.paired_binary(300, 0.7, 0.6, 0.2, seed=3),
                             ds.paired_binary(300, 0.7, 0.6, 0.2, seed=4))
    assert _frames_equal(ds.example(), ds.example())
    assert _frames_equal(ds.example_continuous(), ds.example_continuous())


def test_more_items_keep_model_skills_and_truth():
    # the truth is a population quantity: it must not depend on how many items were sampled
    small = ds.simulate(4, 60, seed=11, n_tasks=3, n_prompts=2, prompt_sd=0.5)
    large = ds.simulate(4, 6000, seed=11, n_tasks=3, n_prompts=2, prompt_sd=0.5)
    assert small.spec["truth"]["skill"] == large.spec["truth"]["skill"]
    np.testing.assert_allclose(small.spec["truth"]["true_score"], large.spec["truth"]["true_score"], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# shapes and roles
@pytest.mark.parametrize("M,N,P,S", [(1, 1, 1, 1), (3, 50, 1, 4), (4, 37, 3, 2)])
def test_shapes_and_roles(M, N, P, S):
    rf = ds.simulate(M, N, seed=0, n_prompts=P, n_samples=S, n_tasks=1 if N < 2 else 2)
    assert rf.data.height == M * N * P * S
    assert rf.n_models == M and rf.n_items == N
    assert rf.models == [f"model_{i}" for i in range(1, M + 1)]  # first-appearance order = given order
    assert rf.has("task")
    assert rf.has("prompt") == (P > 1) and rf.has("sample") == (S > 1)
    if S > 1:
        assert rf.data.schema["sample"] == pl.Int64
        assert sorted(rf.data["sample"].unique().to_list()) == list(range(S))
    if P > 1:
        assert sorted(rf.data["prompt"].unique().to_list()) == [f"prompt_{i}" for i in range(1, P + 1)]
    per_cell = rf.data.group_by("model", "item").len()["len"]
    assert (per_cell == P * S).all()
    assert rf.binary and rf.excluded.height == 0
    assert set(rf.spec["simulation"]) >= {"seed", "scores", "n_models", "n_items", "missing_rate", "skill_sd"}


def test_optional_roles_only_when_asked():
    rf = ds.simulate(3, 40, seed=0)
    assert rf.data.columns == ["model", "item", "score"]
    rf = ds.simulate(3, 40, seed=0, n_tasks=4, n_categories=3, n_clusters=8, cluster_sd=0.2)
    assert rf.data.columns == ["model", "item", "score", "task", "category", "cluster"]
    assert rf.data["task"].n_unique() == 4 and rf.data["cluster"].n_unique() == 8
    # each item has one task / category / cluster (the ResultFrame matrix would raise otherwise)
    m = rf.matrix()
    assert m.strata is not None and m.clusters is not None


def test_model_names_and_skills():
    rf = ds.simulate(model_names=["b", "a", "c"], skills=[0.0, 1.0, -1.0], n_items=30, seed=0)
    assert rf.models == ["b", "a", "c"]
    t = ds.truth(rf)
    assert t["model"].to_list() == ["b", "a", "c"] and t["skill"].to_list() == [0.0, 1.0, -1.0]
    # E[sigmoid(-d)] with d ~ N(0, 1) is 1/2 by symmetry
    assert t["true_score"][0] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("depth,n_cat", [(1, 1), (1, 7), (2, 1), (2, 4), (2, 6), (2, 10), (3, 5), (3, 27), (4, 9)])
def test_taxonomy_paths_well_formed(depth, n_cat):
    rf = ds.simulate(2, 60, seed=0, n_categories=n_cat, taxonomy_depth=depth)
    paths = rf.data["category"].unique().to_list()
    assert len(paths) == n_cat
    seg = r"[a-z0-9]+_[0-9]+"
    for path in paths:
        assert re.fullmatch(rf"{seg}(/{seg}){{{depth - 1}}}", path), path
    leaves = [p.split("/")[-1] for p in paths]
    assert len(set(leaves)) == n_cat  # leaf names are unique, not only the full paths
    for level in range(1, depth):  # a node at each level has exactly one parent
        parent = {}
        for p in paths:
            parts = p.split("/")
            assert parent.setdefault(parts[level], parts[level - 1]) == parts[level - 1]


def test_clusters_are_nested_in_tasks():
    rf = ds.simulate(2, 103, seed=0, n_tasks=4, n_clusters=10, cluster_sd=1.0)
    per_cluster = rf.data.select("cluster", "task").unique().group_by("cluster").len()
    assert per_cluster.height == 10 and (per_cluster["len"] == 1).all()


def test_score_kinds():
    b = ds.simulate_binary(3, 200, seed=2)
    c = ds.simulate_continuous(3, 200, seed=2)
    u = ds.simulate(3, 200, seed=2, scores="unbounded")
    assert _frames_equal(b, ds.simulate(3, 200, seed=2, scores="binary"))
    assert _frames_equal(c, ds.simulate(3, 200, seed=2, scores="continuous"))
    assert b.binary and set(b.data["score"].unique().to_list()) == {0.0, 1.0}
    assert not c.binary and 0.0 <= c.spec["score_min"] and c.spec["score_max"] <= 1.0
    assert c.data["score"].n_unique() > 500
    assert u.spec["outside_unit_interval"]
    with pytest.raises(TypeError, match="fixes scores='binary'"):
        ds.simulate_binary(scores="continuous")


# --------------------------------------------------------------------------------------------
# ground truth
def test_true_score_equals_logistic_normal_integral():
    # Reference: scipy.integrate.quad of E[expit(theta - D + C + e)], D ~ N(0, 1.3^2), cluster effect
    # C ~ N(0, 0.6^2), sample noise e ~ N(0, 0.5^2); a sum of independent normals is normal with the
    # summed variance, so the expectation is a one-dimensional logistic-normal integral.
    rf = ds.simulate(4, 50, seed=5, difficulty_sd=1.3, n_clusters=5, cluster_sd=0.6, sample_sd=0.5, n_samples=2,
                     skill_sd=2.0)
    tau = math.sqrt(1.3**2 + 0.6**2 + 0.5**2)
    t = ds.truth(rf)
    for theta, truth in zip(t["skill"], t["true_score"]):
        ref = integrate.quad(lambda z: special.expit(theta + tau * z) * stats.norm.pdf(z), -np.inf, np.inf,
                             epsabs=1e-13, epsrel=1e-12)[0]
        assert truth == pytest.approx(ref, abs=1e-10)


def test_true_score_unbounded_closed_form():
    # E[theta - d + N(0,1)] = theta (no task offsets, no prompts): closed form
    t = ds.truth(ds.simulate(5, 20, seed=3, scores="unbounded"))
    np.testing.assert_allclose(t["true_score"].to_numpy(), t["skill"].to_numpy(), rtol=0, atol=1e-15)
    # with tasks: theta - sum_k w_k t_k, with w_k the task shares (closed form)
    rf = ds.simulate(3, 90, seed=3, scores="unbounded", n_tasks=3)
    off = rf.spec["truth"]["task_offset"]
    w = rf.data.filter(pl.col("model") == "model_1").group_by("task").len().sort("task")
    mean_off = sum(off[k] * n / 90 for k, n in w.iter_rows())
    t = ds.truth(rf)
    np.testing.assert_allclose(t["true_score"].to_numpy(), t["skill"].to_numpy() - mean_off, atol=1e-12)


def _stratified_cluster_mean_and_se(rf: ew.ResultFrame, model: str) -> tuple[float, float]:
    """Model mean and its standard error from cluster means within tasks (the sampling design)."""
    d = rf.data.filter(pl.col("model") == model)
    n = d["item"].n_unique()
    cl = d.group_by("task", "cluster").agg(pl.col("score").mean().alias("m"), pl.col("item").n_unique().alias("n"))
    mean = est_var = 0.0
    for (task,), g in cl.group_by(["task"]):
        w = g["n"].sum() / n
        mean += w * float((g["m"] * g["n"]).sum() / g["n"].sum())
        est_var += w**2 * float(g["m"].var()) / g.height
    return mean, math.sqrt(est_var)


@pytest.mark.parametrize("scores", ["binary", "continuous", "unbounded"])
def test_true_score_agrees_with_huge_monte_carlo(scores):
    # A large draw of the same generator: the sample mean must sit within 4 Monte Carlo standard
    # errors of the integrated truth (SE from cluster means within tasks, the actual sampling units).
    rf = ds.simulate(3, 80_000, seed=21, scores=scores, n_tasks=4, n_categories=6, taxonomy_depth=2,
                     n_clusters=3_000, cluster_sd=0.7, n_prompts=2, prompt_sd=0.4, sample_sd=0.5,
                     interaction_sd=0.3, difficulty_sd=1.2, skill_sd=1.0)
    t = ds.truth(rf)
    for model, truth in zip(t["model"], t["true_score"]):
        mean, se = _stratified_cluster_mean_and_se(rf, model)
        assert abs(mean - truth) < 4 * se, (model, mean, truth, se)
        assert se < (0.01 if scores != "unbounded" else 0.03)  # the check has teeth


def test_slice_truths_average_to_the_overall_truth():
    rf = ds.simulate(3, 600, seed=4, n_tasks=3, n_categories=4, interaction_sd=0.5)
    tr = rf.spec["truth"]
    shares = rf.data.filter(pl.col("model") == "model_1").group_by("task").len().sort("task")
    overall = sum(np.array(tr["task_true_score"][k]) * n / 600 for k, n in shares.iter_rows())
    np.testing.assert_allclose(overall, tr["true_score"], atol=1e-12)


def test_truth_of_a_non_simulated_frame_raises():
    rf = ew.from_frame(pl.DataFrame({"model": ["a", "b"], "item": ["x", "x"], "score": [1.0, 0.0]}))
    with pytest.raises(SchemaError, match="no ground truth"):
        ds.truth(rf)


# --------------------------------------------------------------------------------------------
# missing cells
def test_missing_rate_removes_that_share_and_is_reported():
    full = ds.simulate(10, 1000, seed=9, n_samples=2)
    rf = ds.simulate(10, 1000, seed=9, n_samples=2, missing_rate=0.15)
    k = 1500  # round(0.15 * 10 * 1000)
    assert rf.spec["missing_cells"] == k == rf.spec["simulation"]["n_missing_cells"]
    row = rf.excluded.filter(pl.col("reason") == MISSING)
    assert row["count"].to_list() == [k]
    assert rf.n_models == 10 and rf.n_items == 1000
    assert rf.data.height == (10 * 1000 - k) * 2  # whole cells (both samples) go
    # per-model missing counts follow the hypergeometric law of a uniform choice of k cells
    per = 1000 - rf.data.group_by("model").agg(pl.col("item").n_unique())["item"].to_numpy()
    hg = stats.hypergeom(10_000, 1000, k)  # reference: scipy.stats.hypergeom
    assert np.all(np.abs(per - hg.mean()) < 5 * hg.std())
    # the kept cells carry the same scores as without missingness (missingness is its own stream)
    joined = rf.data.join(full.data, on=["model", "item", "sample"], how="left", suffix="_full")
    assert (joined["score"] == joined["score_full"]).all()


def test_missing_rate_keeps_every_model_and_item():
    rf = ds.simulate(2, 50, seed=1, missing_rate=0.45)
    assert rf.n_models == 2 and rf.n_items == 50 and rf.spec["missing_cells"] == 45
    with pytest.raises(ValueError, match="every model and item must keep at least one"):
        ds.simulate(3, 10, missing_rate=0.9)


# --------------------------------------------------------------------------------------------
# paired_binary
def test_paired_binary_hits_targets_within_sampling_error():
    n, pa, pb, disc = 100_000, 0.72, 0.65, 0.21
    rf = ds.paired_binary(n, pa, pb, disc, seed=5)
    m = rf.matrix().scores
    a, b = m[:, 0], m[:, 1]
    # binomial standard errors sqrt(p (1 - p) / n), 4-sigma bounds
    for est, p in ((a.mean(), pa), (b.mean(), pb), ((a != b).mean(), disc)):
        assert abs(est - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert ds.truth(rf)["true_score"].to_list() == [pa, pb]
    assert rf.models == ["model_a", "model_b"]


def test_paired_binary_exact_counts():
    rf = ds.paired_binary(1000, 0.8, 0.7, 0.14, seed=0, exact=True)
    m = rf.matrix().scores
    a, b = m[:, 0], m[:, 1]
    # p10 = (0.14 + 0.1)/2 = 0.12, p01 = 0.02, p11 = 0.68, p00 = 0.18 (closed form in the docstring)
    assert int(((a == 1) & (b == 0)).sum()) == 120 and int(((a == 0) & (b == 1)).sum()) == 20
    assert int(((a == 1) & (b == 1)).sum()) == 680 and int(((a == 0) & (b == 0)).sum()) == 180


def test_paired_binary_power_replicates_vary():
    # power simulations need sampling variability: McNemar discordant counts vary across seeds
    n10 = []
    for s in range(200):
        m = ds.paired_binary(100, 0.6, 0.5, 0.3, seed=s).matrix().scores
        n10.append(int(((m[:, 0] == 1) & (m[:, 1] == 0)).sum()))
    # n10 ~ Binomial(100, 0.2): mean 20, variance 16 (closed form); 200 draws
    assert abs(np.mean(n10) - 20) < 4 * math.sqrt(16 / 200)
    assert 16 * 0.6 < np.var(n10, ddof=1) < 16 * 1.5


@pytest.mark.parametrize("pa,pb,disc,msg", [
    (0.7, 0.6, 0.05, "disagree on at least 0.1"),
    (0.9, 0.9, 0.3, "at most 0.2"),
    (1.2, 0.5, 0.1, r"p_a=1.2 must be a probability"),
])
def test_paired_binary_rejects_impossible_targets(pa, pb, disc, msg):
    with pytest.raises(ValueError, match=msg):
        ds.paired_binary(100, pa, pb, disc)


# --------------------------------------------------------------------------------------------
# example data
def _mcnemar_p(x, y) -> float:
    # exact McNemar: binomial test on the discordant pairs (reference: scipy.stats.binomtest)
    n10, n01 = int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum())
    return stats.binomtest(n10, n10 + n01, 0.5).pvalue


@pytest.mark.parametrize("which", ["binary", "continuous"])
def test_example_has_a_close_top_three_and_separated_tiers(which):
    rf = ds.example() if which == "binary" else ds.example_continuous()
    assert rf.n_models == 12 and rf.n_items == 1200 and rf.excluded.height == 0
    assert rf.binary == (which == "binary")
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", m) for m in rf.models)
    assert rf.data["task"].n_unique() == 6
    assert (rf.data.filter(pl.col("model") == rf.models[0]).group_by("task").len()["len"] == 200).all()
    cats = rf.data["category"].unique().to_list()
    assert all(re.fullmatch(r"[a-z]+/[a-z]+", c) for c in cats)
    assert rf.data.filter(pl.col("category").str.split("/").list.first() != pl.col("task")).height == 0

    m = rf.matrix()
    S, acc = m.scores, m.scores.mean(axis=0)
    order = np.argsort(-acc)
    truth = ds.truth(rf)
    top_true = set(truth.sort("true_score", descending=True)["model"].head(3).to_list())
    assert {m.models[i] for i in order[:3]} == top_true
    # reference tests: exact McNemar (binary) / paired t-test (continuous), scipy.stats
    ptest = _mcnemar_p if which == "binary" else (lambda x, y: stats.ttest_rel(x, y).pvalue)
    for i, j in itertools.combinations(order[:3], 2):  # top three: not distinguishable
        assert ptest(S[:, i], S[:, j]) > 0.05
    for i, j in zip(order[2:-1], order[3:]):  # every other neighbour: clearly different (Holm-proof)
        assert ptest(S[:, i], S[:, j]) < 0.05 / 66
    # below the top three, the observed order is the true order
    assert [m.models[i] for i in order[3:]] == truth.sort("true_score", descending=True)["model"][3:].to_list()


def test_example_planted_weakness_is_visible():
    rf = ds.example()
    d = rf.data.filter(pl.col("model") == "nimbus-mini")
    overall = d["score"].mean()
    code = d.filter(pl.col("task") == "code")["score"].mean()
    assert rf.spec["truth"]["task_true_score"]["code"][rf.models.index("nimbus-mini")] < \
        rf.spec["truth"]["true_score"][rf.models.index("nimbus-mini")] - 0.1
    assert code < overall - 0.1


# --------------------------------------------------------------------------------------------
# speed and validation
def test_simulate_is_fast():
    ds.simulate(30, 500, seed=0)  # warm imports
    t0 = time.perf_counter()
    rf = ds.simulate(30, 12_000, seed=0, n_tasks=10, n_categories=20, taxonomy_depth=2)
    elapsed = time.perf_counter() - t0
    assert rf.data.height == 360_000
    assert elapsed < 1.0, f"simulate(30 x 12,000) took {elapsed:.2f} s"


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"scores": "bin"}, ValueError, r"scores='bin' is not a score kind"),
    ({"taxonomy_depth": 2}, ValueError, "needs categories"),
    ({"cluster_sd": 0.5}, ValueError, "needs clusters"),
    ({"n_tasks": 5, "n_clusters": 3}, ValueError, "n_clusters >= n_tasks"),
    ({"n_items": 0}, ValueError, "n_items=0 is out of range"),
    ({"n_items": True}, TypeError, "n_items must be an int"),
    ({"skill_sd": -1}, ValueError, "skill_sd=-1.0 must be a finite number >= 0"),
    ({"missing_rate": 1.5}, ValueError, "missing_rate=1.5 must be a probability"),
    ({"model_names": ["a", "a"]}, ValueError, "must be unique"),
    ({"n_models": 3, "model_names": ["a", "b"]}, ValueError, "pass n_models=2"),
    ({"skills": [1.0, 2.0]}, ValueError, "skills must hold 8 finite numbers"),
    ({"seed": -1}, ValueError, "seed must be a non-negative int"),
])
def test_validation_messages(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        ds.simulate(**kwargs)
