"""rank_stability (issue 3, first part): checked against scipy and closed forms."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

import evalwidgets as ew
from evalwidgets.kernels.bootstrap import kendall_tau_b, rank_histogram


def _frame(X):
    N, M = X.shape
    return ew.from_frame(pl.DataFrame({"model": np.repeat([f"m{j}" for j in range(M)], N),
                                       "item": np.tile(np.arange(N), M), "score": X.T.ravel()}))


def test_kendall_tau_b_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 5, 12).astype(float)
    vals = rng.integers(0, 4, (30, 12)).astype(float)
    got = kendall_tau_b(ref, vals)
    want = [stats.kendalltau(ref, v, variant="b").statistic for v in vals]  # scipy's tau-b
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_rank_histogram_splits_ties_and_is_doubly_stochastic():
    vals = np.array([[3.0, 3.0, 1.0], [2.0, 1.0, np.nan]])
    h = rank_histogram(vals, True)
    # replicate 1: m0, m1 tied for ranks 1-2 (1/2 each), m2 third; replicate 2: m0, m1, then NaN m2
    want = np.array([[0.5 * 0.5 + 0.5, 0.5 * 0.5, 0], [0.5 * 0.5, 0.5 * 0.5 + 0.5, 0], [0, 0, 1.0]])
    np.testing.assert_allclose(h, want)


def test_tables_agree_with_the_leaderboard_and_sum_to_one():
    rf = ew.datasets.simulate_binary(n_models=6, n_items=300, seed=2)
    rs = ew.rank_stability(rf, n_resamples=2000, seed=5)
    lb = ew.leaderboard(rf, n_resamples=2000, seed=5)
    a = rs.table.sort("model")
    b = lb.table.sort("model")
    for col in ("rank", "rank_low", "rank_high", "p_best"):
        np.testing.assert_allclose(a[col].to_numpy(), b[col].to_numpy())  # same draws, same seed
    probs = rs.rank_probs
    np.testing.assert_allclose(probs.group_by("model").agg(pl.col("probability").sum())["probability"], 1.0)
    np.testing.assert_allclose(probs.group_by("rank").agg(pl.col("probability").sum())["probability"], 1.0)
    # p_top3 and expected_rank from the leaderboard's replicate means, computed independently here
    reps = lb.replicates
    ranks = 1 + (reps[:, None, :] > reps[:, :, None]).sum(2)  # competition ranks, 1 = best
    models = rf.matrix().models
    order = [models.index(m) for m in a["model"]]
    np.testing.assert_allclose(a["p_top3"].to_numpy(), (ranks <= 3).mean(0)[order])
    np.testing.assert_allclose(a["expected_rank"].to_numpy(), ranks.mean(0)[order])
    pw = rs.pairwise.row(0, named=True)
    ia, ib = models.index(pw["model_a"]), models.index(pw["model_b"])
    want = (reps[:, ia] > reps[:, ib]).mean() + 0.5 * (reps[:, ia] == reps[:, ib]).mean()
    assert pw["p_a_beats_b"] == pytest.approx(want, abs=1e-12)
    assert rs.pairwise.height == 6 * 5 // 2


def test_identical_models_tie_and_a_dominant_model_is_always_best():
    rng = np.random.default_rng(3)
    base = (rng.random(200) < 0.5).astype(float)
    X = np.column_stack([base, base, (rng.random(200) < 0.95).astype(float)])
    rs = ew.rank_stability(_frame(X), n_resamples=1000, seed=0)
    pw = {(r["model_a"], r["model_b"]): r["p_a_beats_b"] for r in rs.pairwise.iter_rows(named=True)}
    key = ("m0", "m1") if ("m0", "m1") in pw else ("m1", "m0")
    assert pw[key] == 0.5  # identical replicate means in every replicate: ties count half
    t = {r["model"]: r for r in rs.table.iter_rows(named=True)}
    assert t["m2"]["p_best"] == 1.0 and t["m2"]["rank_low"] == t["m2"]["rank_high"] == 1
    assert t["m0"]["rank_low"] <= t["m1"]["rank_high"] and t["m1"]["rank_low"] <= t["m0"]["rank_high"]


def test_subsample_curve_closed_forms():
    rf = ew.datasets.simulate_binary(n_models=5, n_items=120, seed=6)
    rs = ew.rank_stability(rf, n_resamples=200, subsample=[20, 120], n_subsamples=100)
    sub = {r["n_items"]: r for r in rs.subsample.iter_rows(named=True)}
    # a subset of all 120 items (without replacement) is the full data: identical ranking
    assert sub[120]["kendall_tau"] == 1.0 and sub[120]["top1_agreement"] == 1.0
    assert sub[20]["kendall_tau"] < 1.0
    with pytest.raises(ValueError, match="subsample sizes must be between 1 and the number of items"):
        ew.rank_stability(rf, n_resamples=10, subsample=[500])


def test_same_seed_same_numbers():
    rf = ew.datasets.simulate_continuous(n_models=4, n_items=80, seed=1)
    a = ew.rank_stability(rf, n_resamples=300, seed=9, subsample=[40])
    b = ew.rank_stability(rf, n_resamples=300, seed=9, subsample=[40])
    assert a.table.equals(b.table) and a.subsample.equals(b.subsample) and a.stability.equals(b.stability)


def test_mmlu_pro_rank_stability(shared_data):
    """29 MMLU-Pro models (strict accuracy, PROVENANCE.md): gemini-1.5-pro-002 (70.04%) leads
    gemini-1.5-flash-002 (63.80%) by ~6 pp on 12,032 items, far beyond sampling error."""
    d = shared_data / "mmlu_pro_29models"
    items = pl.read_csv(d / "items.csv", schema_overrides={"question_id": pl.Int64, "answer": pl.String})
    wide = pl.read_csv(d / "predictions_wide.csv", infer_schema_length=0).with_columns(pl.col("question_id").cast(pl.Int64))
    long = wide.unpivot(index="question_id", variable_name="model", value_name="pred").join(
        items.select("question_id", "answer"), on="question_id")
    long = long.with_columns((pl.col("pred") == pl.col("answer")).fill_null(False).cast(pl.Float64).alias("score"))
    rf = ew.from_frame(long, model="model", item="question_id", score="score")
    rs = ew.rank_stability(rf, n_resamples=2000, subsample=[100, 1000])
    top = rs.table.row(0, named=True)
    assert top["model"] == "gemini-1.5-pro-002" and top["p_best"] == 1.0 and top["rank_high"] == 1
    assert rs.table.height == 29 and abs(rs.table["p_best"].sum() - 1) < 1e-12
    sub = rs.subsample.sort("n_items")
    assert sub["kendall_tau"][0] < sub["kendall_tau"][1] <= 1.0  # more items, more settled order


def test_alpacaeval_rank_stability_of_the_weighted_judge_leaderboard(shared_data):
    """AlpacaEval 2.0, weighted GPT-4-turbo judge (PROVENANCE.md mapping: preference 0 -> 1.5, score
    = p - 1): the point ranking equals the order of the published win_rate column, and the rank
    distribution is a proper one over 58 models."""
    d = shared_data / "alpacaeval2_annotations"
    ann = pl.read_csv(d / "annotations.csv", schema_overrides={"preference": pl.Float64}).filter(
        pl.col("results_annotator") == "weighted_alpaca_eval_gpt4_turbo")
    ann = ann.with_columns(pl.when(pl.col("preference") == 0).then(1.5).otherwise(pl.col("preference")).alias("p"))
    ann = ann.with_columns(pl.when((pl.col("p") >= 1) & (pl.col("p") <= 2)).then(pl.col("p") - 1).alias("win"))
    rf = ew.from_frame(ann, model="model", item="instruction_id", score="win")
    rs = ew.rank_stability(rf, n_resamples=2000)
    assert rs.table.height >= 50 and abs(rs.table["p_best"].sum() - 1) < 1e-12
    lb = pl.read_csv(d / "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv").rename({"": "model"})
    both = rs.table.join(lb.select("model", "win_rate"), on="model")
    assert both.height >= 50
    pub_rank = both["win_rate"].rank(method="min", descending=True).to_numpy()
    ours = both.with_columns(pl.col("rank").rank(method="min"))["rank"].to_numpy()
    np.testing.assert_array_equal(ours, pub_rank)
    tau = rs.stability.filter(pl.col("metric") == "kendall_tau").row(0, named=True)
    assert 0.9 < tau["mean"] <= 1.0 and tau["ci_low"] <= tau["mean"] <= tau["ci_high"]
