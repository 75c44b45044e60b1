"""Real data (issue 2, section 5): published AlpacaEval 2.0 numbers and a 29-model MMLU-Pro leaderboard.

The data are third-party and live outside the repository (``../shared/data``, see ``conftest.py``);
every test here skips with a clear reason when they are absent. Everything goes through the public
API (``ew.from_frame``, ``ew.leaderboard``, ``ew.compare``, ``ew.significance``); expected values
come from the published leaderboard CSVs, the PROVENANCE.md files, or independent references
(statsmodels, scipy) computed in the test on arrays built here with numpy/polars.
"""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import evalwidgets as ew

ALPACA = "alpacaeval2_annotations"
MMLU = "mmlu_pro_29models"


def _dataset(shared_data, name: str):
    path = shared_data / name
    if not path.is_dir():
        pytest.skip(f"real data not found at {path}; these tests need ../shared/data beside the checkout "
                    "(or set EVALWIDGETS_SHARED_DATA=/path/to/shared/data)")
    return path


# =============================================================================================
# AlpacaEval 2.0
# =============================================================================================
# judge config -> number of leaderboard models that have annotations here (PROVENANCE.md, "Published
# numbers this reproduces": all 57 weighted-judge models, all 10 CoT-judge models, the 3 fn-judge models)
JUDGES = {
    "weighted_alpaca_eval_gpt4_turbo": 57,
    "alpaca_eval_cot_gpt4_turbo_fn": 10,
    "alpaca_eval_gpt4_turbo_fn": 3,
}
N_BOOT_ALPACA = 200
TOL_PUBLISHED = 1e-8  # PROVENANCE: "reproduce win_rate, standard_error and discrete_win_rate to <1e-8"


def _preference_clean() -> pl.Expr:
    """PROVENANCE mapping: 0 -> 1.5 (draw) first, then values outside [1, 2] and missing -> null."""
    p = pl.when(pl.col("preference") == 0).then(1.5).otherwise(pl.col("preference"))
    return pl.when(p.is_between(1.0, 2.0)).then(p).otherwise(None)


@pytest.fixture(scope="module")
def alpaca(shared_data):
    d = _dataset(shared_data, ALPACA)
    ann = pl.read_csv(d / "annotations.csv", schema_overrides={"preference": pl.Float64, "instruction_id": pl.Int64})
    p = _preference_clean()
    ann = ann.with_columns(
        win=p - 1.0,  # win indicator in [0, 1]: 100 * mean = AlpacaEval win_rate
        win_discrete=pl.when(p > 1.5).then(1.0).when(p == 1.5).then(0.5).when(p < 1.5).then(0.0).otherwise(None),
    )
    out = {}
    for judge in JUDGES:
        df = ann.filter(pl.col("results_annotator") == judge)
        published = pl.read_csv(d / f"{judge}_leaderboard.csv").rename({"": "model"})
        rf = ew.from_frame(df, model="model", item="instruction_id", score="win", category="dataset")
        rf_d = ew.from_frame(df, model="model", item="instruction_id", score="win_discrete", category="dataset")
        lb = ew.leaderboard(rf, n_resamples=N_BOOT_ALPACA, seed=0).table
        lb_d = ew.leaderboard(rf_d, n_resamples=N_BOOT_ALPACA, seed=0).table
        out[judge] = {"raw": df, "published": published, "rf": rf, "rf_d": rf_d, "lb": lb, "lb_d": lb_d}
    return out


def _on_leaderboard(res):
    """Published rows of the models that have annotations, joined with our leaderboard rows."""
    annotated = res["raw"]["model"].unique()
    pub = res["published"].filter(pl.col("model").is_in(annotated.implode()))
    return pub.join(res["lb"], on="model", how="left", suffix="_ours").join(
        res["lb_d"].select("model", pl.col("score").alias("score_discrete"), pl.col("n_items").alias("n_items_d")),
        on="model", how="left")


@pytest.mark.parametrize("judge", list(JUDGES))
def test_alpaca_reproduces_published_win_rate_and_se(alpaca, judge):
    res = alpaca[judge]
    j = _on_leaderboard(res)
    # PROVENANCE: 57 / 10 / 3 leaderboard models have annotations for the three judges
    assert j.height == JUDGES[judge]
    assert j["score"].null_count() == 0, "a published model is missing from ew.leaderboard"
    # published win_rate = 100 * mean(p - 1) (AlpacaEval leaderboard CSV, verbatim)
    err_wr = (100 * j["score"] - j["win_rate"]).abs()
    assert err_wr.max() < TOL_PUBLISHED, j.with_columns(err=err_wr).sort("err", descending=True).head(3)
    # published standard_error = 100 * pandas sem (ddof=1) of p - 1
    err_se = (100 * j["se"] - j["standard_error"]).abs()
    assert err_se.max() < TOL_PUBLISHED, j.with_columns(err=err_se).sort("err", descending=True).head(3)
    # discrete_win_rate = 100 * (#p>1.5 + 0.5 #p==1.5) / n  (second frame with the discrete mapping)
    err_d = (100 * j["score_discrete"] - j["discrete_win_rate"]).abs()
    assert err_d.max() < TOL_PUBLISHED, j.with_columns(err=err_d).sort("err", descending=True).head(3)
    # n_items is the number of non-missing preferences, i.e. the leaderboard's n_total
    assert (j["n_items"] == j["n_total"].cast(pl.Int64)).all()
    assert (j["n_items_d"] == j["n_total"].cast(pl.Int64)).all()


@pytest.mark.parametrize("judge", list(JUDGES))
def test_alpaca_discrete_counts_match_published(alpaca, judge):
    """The discrete mapping gives the leaderboard's n_wins / n_wins_base / n_draws."""
    res = alpaca[judge]
    counts = res["rf_d"].data.group_by("model").agg(
        n_wins_ours=(pl.col("score") == 1.0).sum(), n_base_ours=(pl.col("score") == 0.0).sum(),
        n_draws_ours=(pl.col("score") == 0.5).sum())
    j = _on_leaderboard(res).join(counts, on="model", how="left")
    assert (j["n_wins_ours"] == j["n_wins"].cast(pl.Int64)).all()
    assert (j["n_base_ours"] == j["n_wins_base"].cast(pl.Int64)).all()
    assert (j["n_draws_ours"] == j["n_draws"].cast(pl.Int64)).all()


@pytest.mark.parametrize("judge", list(JUDGES))
def test_alpaca_exclusions_are_counted(alpaca, judge):
    res = alpaca[judge]
    raw, rf = res["raw"], res["rf"]
    pref = raw["preference"]
    # independent count of the rows the PROVENANCE mapping drops: missing, or outside [1, 2] and not 0
    n_bad = int((pref.is_null() | (~pref.is_between(1.0, 2.0) & (pref != 0.0)).fill_null(False)).sum())
    ex = dict(zip(rf.excluded["reason"].to_list(), rf.excluded["count"].to_list()))
    assert ex.get("null score", 0) == n_bad
    assert rf.n_excluded == n_bad
    # missing cells: models x annotated instructions minus rows with a usable preference
    usable = raw.filter(pref.is_not_null())
    n_items = usable["instruction_id"].n_unique()
    n_models = usable["model"].n_unique()
    assert rf.n_items == n_items and rf.n_models == n_models
    assert ex.get("item missing for some models", 0) == n_models * n_items - usable.height
    # per-model n_items in the leaderboard = the model's usable rows
    per_model = usable.group_by("model").len()
    j = per_model.join(res["lb"].select("model", "n_items"), on="model", how="left")
    assert (j["n_items"] == j["len"].cast(pl.Int64)).all()


def test_alpaca_one_failed_judge_row(alpaca):
    """PROVENANCE: 'empty = judge failed (1 row)' -> exactly one excluded row over the three judges."""
    total = sum(alpaca[j]["rf"].n_excluded for j in JUDGES)
    assert total == 1
    cot = alpaca["alpaca_eval_cot_gpt4_turbo_fn"]["rf"].excluded
    assert cot.filter(pl.col("reason") == "null score")["count"].to_list() == [1]
    assert "gemini-pro" in cot.filter(pl.col("reason") == "null score")["example"][0]


# =============================================================================================
# MMLU-Pro, 29 models x 12,032 questions
# =============================================================================================
# PROVENANCE.md "Strict accuracies from this data (for regression tests)", in percent
MMLU_STRICT = {
    "gemini-1.5-pro-002": 70.04, "gemini-1.5-flash-002": 63.80, "Meta-Llama-3_1-70B-Instruct": 62.80,
    "DeepSeek-Coder-V2": 54.74, "Meta-Llama-3_1-70B": 52.46, "Meta-Llama-3-70B": 52.01,
    "Mixtral-8x7B-Instruct-v0.1": 41.89, "gemma-7b": 32.36, "Mistral-7B-v0.1": 29.77, "Llama-2-7b-hf": 18.34,
}
N_MODELS = 29
N_QUESTIONS = 12_032
PAIR = ("Meta-Llama-3_1-70B-Instruct", "Meta-Llama-3_1-70B")  # base vs instruct, both answered every question
PAIR_MISSING = ("DeepSeek-Coder-V2", "gemini-1.5-pro-002")  # both have blank predictions
N_BOOT_CMP = 5000
Z_MC = 4.0  # Monte Carlo tolerance in MC standard errors (results are deterministic per seed)


@pytest.fixture(scope="module")
def mmlu(shared_data):
    d = _dataset(shared_data, MMLU)
    items = pl.read_csv(d / "items.csv", schema_overrides={"question_id": pl.Int64, "answer": pl.String})
    wide = pl.read_csv(d / "predictions_wide.csv", infer_schema_length=0).with_columns(
        pl.col("question_id").cast(pl.Int64))
    models = wide.columns[1:]
    # independent numpy view: correct / answered matrices, questions in items.csv order
    w = items.select("question_id", "answer").join(wide, on="question_id", how="left", maintain_order="left")
    answer = w["answer"].to_numpy().astype(str)
    preds = np.stack([w[m].fill_null("").to_numpy().astype(str) for m in models], axis=1)
    answered = preds != ""
    correct = answered & (preds == answer[:, None])
    long = (wide.unpivot(index="question_id", variable_name="model", value_name="pred")
            .join(items.select("question_id", "category", "answer"), on="question_id", how="left"))
    long = long.with_columns(
        # strict accuracy (PROVENANCE): a blank prediction (failed extraction or question not run) is wrong
        correct_strict=(pl.col("pred") == pl.col("answer")).fill_null(False).cast(pl.Float64),
        # variant: a blank prediction is a missing cell (null score -> excluded and counted)
        correct_answered=(pl.col("pred") == pl.col("answer")).cast(pl.Float64),
    )
    rf = ew.from_frame(long, model="model", item="question_id", score="correct_strict", category="category")
    rf_missing = ew.from_frame(long, model="model", item="question_id", score="correct_answered",
                               category="category")
    return {"models": list(models), "answered": answered, "correct": correct, "rf": rf, "rf_missing": rf_missing}


@pytest.fixture(scope="module")
def mmlu_boards(mmlu):
    rf = mmlu["rf"]
    return {m: ew.leaderboard(rf, method=m, n_resamples=2000 if m == "auto" else 200, seed=0).table
            for m in ("auto", "wilson", "exact", "jeffreys")}


def _by_model(table: pl.DataFrame, models) -> pl.DataFrame:
    """Rows of ``table`` in the order of ``models`` (the numpy column order)."""
    return pl.DataFrame({"model": list(models)}).join(table, on="model", how="left", maintain_order="left")


def _counts(mmlu):
    k = mmlu["correct"].sum(0)
    return k, np.full_like(k, N_QUESTIONS)


def test_mmlu_frame(mmlu):
    rf = mmlu["rf"]
    assert rf.n_models == N_MODELS and rf.n_items == N_QUESTIONS
    assert rf.binary
    assert rf.excluded.height == 0  # strict: every cell scored, nothing dropped
    assert rf.has("category") and rf.data["category"].n_unique() == 14  # PROVENANCE: 14 categories


def test_mmlu_strict_accuracies_match_provenance(mmlu, mmlu_boards):
    lb = _by_model(mmlu_boards["wilson"], mmlu["models"])
    acc = dict(zip(lb["model"], lb["score"]))
    for model, pct in MMLU_STRICT.items():
        # PROVENANCE lists them rounded to 0.01 pp
        assert abs(100 * acc[model] - pct) <= 0.005 + 1e-9, (model, 100 * acc[model], pct)
    # and every model equals the independent numpy strict accuracy (correct / 12,032)
    np.testing.assert_allclose(lb["score"].to_numpy(), mmlu["correct"].mean(0), rtol=0, atol=1e-12)
    assert (lb["n_items"] == N_QUESTIONS).all()


@pytest.mark.parametrize("method", ["auto", "wilson", "exact", "jeffreys"])
def test_mmlu_ranks_and_intervals_consistent(mmlu, mmlu_boards, method):
    t = mmlu_boards[method]
    assert t.height == N_MODELS
    lb = _by_model(t, mmlu["models"])
    acc = mmlu["correct"].mean(0)
    # competition rank from the numpy accuracies: 1 + number of models strictly better
    expected_rank = 1 + (acc[None, :] > acc[:, None]).sum(1)
    np.testing.assert_array_equal(lb["rank"].to_numpy(), expected_rank)
    assert t["rank"].is_sorted() and t["score"].is_sorted(descending=True)
    assert ((lb["rank_low"] <= lb["rank"]) & (lb["rank"] <= lb["rank_high"])).all()
    assert ((lb["ci_low"] <= lb["score"]) & (lb["score"] <= lb["ci_high"])).all()
    assert (lb["level"] == 0.95).all()
    assert abs(float(lb["p_best"].sum()) - 1.0) < 1e-9


def test_mmlu_wilson_matches_statsmodels(mmlu, mmlu_boards):
    from statsmodels.stats.proportion import proportion_confint

    lb = _by_model(mmlu_boards["wilson"], mmlu["models"])
    assert (lb["method"] == "wilson").all()
    k, n = _counts(mmlu)
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")  # statsmodels Wilson score interval
    np.testing.assert_allclose(lb["ci_low"].to_numpy(), lo, rtol=0, atol=1e-10)
    np.testing.assert_allclose(lb["ci_high"].to_numpy(), hi, rtol=0, atol=1e-10)


def test_mmlu_exact_matches_scipy_binomtest(mmlu, mmlu_boards):
    from scipy.stats import binomtest

    lb = _by_model(mmlu_boards["exact"], mmlu["models"])
    assert (lb["method"] == "exact").all()
    k, n = _counts(mmlu)
    for i, m in enumerate(mmlu["models"]):
        ref = binomtest(int(k[i]), int(n[i])).proportion_ci(confidence_level=0.95, method="exact")  # Clopper-Pearson
        assert abs(lb["ci_low"][i] - ref.low) < 1e-10, (m, lb["ci_low"][i], ref.low)
        assert abs(lb["ci_high"][i] - ref.high) < 1e-10, (m, lb["ci_high"][i], ref.high)


def test_mmlu_jeffreys_matches_statsmodels(mmlu, mmlu_boards):
    """statsmodels 0.14/0.15 ``method="jeffreys"`` is the plain equal-tailed Beta(k+1/2, n-k+1/2)
    interval with no boundary modification, whereas ours (Brown, Cai & DasGupta 2001) sets the lower
    end to 0 at k=0 and the upper end to 1 at k=n. The two agree for 0 < k < n, which holds for every
    model here (asserted), so the comparison is exact."""
    from statsmodels.stats.proportion import proportion_confint

    lb = _by_model(mmlu_boards["jeffreys"], mmlu["models"])
    assert (lb["method"] == "jeffreys").all()
    k, n = _counts(mmlu)
    assert ((k > 0) & (k < n)).all()
    lo, hi = proportion_confint(k, n, alpha=0.05, method="jeffreys")
    np.testing.assert_allclose(lb["ci_low"].to_numpy(), lo, rtol=0, atol=1e-10)
    np.testing.assert_allclose(lb["ci_high"].to_numpy(), hi, rtol=0, atol=1e-10)


def test_mmlu_auto_intervals(mmlu, mmlu_boards):
    """``auto`` on 12,032 binary items with 0 < p-hat < 1 picks BCa (module docstring of
    ``evalwidgets.stats.intervals``). Reference for Wilson rows: statsmodels. Reference for BCa rows:
    the ideal (B -> infinity) BCa interval of a binary mean, in closed form: the bootstrap mean is
    Binomial(n, p-hat)/n, z0 = Phi^-1(P(X < k) + P(X = k)/2), the jackknife acceleration is
    a = (1 - 2 p-hat) / (6 sqrt(n p-hat (1 - p-hat))) (Efron 1987), and the endpoint is the
    Binomial quantile at Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))). Tolerance: Z_MC Monte
    Carlo SEs of a sample quantile, sqrt(q (1 - q) / B) / f(x_q), with f the normal density of the
    bootstrap distribution (sd sqrt(p-hat (1 - p-hat) / n)) at x_q, plus one lattice step 1/n."""
    from scipy.stats import binom, norm
    from statsmodels.stats.proportion import proportion_confint

    B = 2000
    lb = _by_model(mmlu_boards["auto"], mmlu["models"])
    k, n = _counts(mmlu)
    methods = lb["method"].to_list()
    assert set(methods) <= {"wilson", "bca"}
    assert set(methods) == {"bca"}  # n = 12,032 >= 500 and no model at 0 % or 100 %
    for i, m in enumerate(mmlu["models"]):
        lo, hi = float(lb["ci_low"][i]), float(lb["ci_high"][i])
        if methods[i] == "wilson":
            ref_lo, ref_hi = proportion_confint(int(k[i]), int(n[i]), alpha=0.05, method="wilson")
            assert abs(lo - ref_lo) < 1e-10 and abs(hi - ref_hi) < 1e-10, m
            continue
        ki, ni = int(k[i]), int(n[i])
        p = ki / ni
        sd = math.sqrt(p * (1 - p) / ni)
        z0 = norm.ppf(binom.cdf(ki - 1, ni, p) + 0.5 * binom.pmf(ki, ni, p))
        acc = (1 - 2 * p) / (6 * math.sqrt(ni * p * (1 - p)))
        for alpha, got in ((0.025, lo), (0.975, hi)):
            za = norm.ppf(alpha)
            q = norm.cdf(z0 + (z0 + za) / (1 - acc * (z0 + za)))
            ref = binom.ppf(q, ni, p) / ni
            mcse = math.sqrt(q * (1 - q) / B) / (norm.pdf(norm.ppf(q)) / sd)
            assert abs(got - ref) <= Z_MC * mcse + 1 / ni, (m, alpha, got, ref, Z_MC * mcse + 1 / ni)


def _table2x2(correct, both, ia, ib):
    a, b = correct[both, ia], correct[both, ib]
    return np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]])


def test_mmlu_compare_mcnemar_and_delta(mmlu):
    from statsmodels.stats.contingency_tables import mcnemar

    models, correct = mmlu["models"], mmlu["correct"]
    a, b = PAIR
    ia, ib = models.index(a), models.index(b)
    both = np.ones(N_QUESTIONS, bool)
    table = _table2x2(correct, both, ia, ib)
    r = ew.compare(mmlu["rf"], a, b, method="percentile", n_resamples=200, seed=0).table.row(0, named=True)
    assert r["model_a"] == a and r["model_b"] == b
    assert r["n_items"] == N_QUESTIONS
    assert r["test"] == "mcnemar-exact"
    # statsmodels exact McNemar (binomial test on the discordant cells) on the numpy 2x2 table
    p_ref = mcnemar(table, exact=True).pvalue
    assert math.isclose(r["p_value"], p_ref, rel_tol=1e-10, abs_tol=1e-300), (r["p_value"], p_ref)
    acc = correct.mean(0)
    assert abs(r["score_a"] - acc[ia]) < 1e-12 and abs(r["score_b"] - acc[ib]) < 1e-12
    assert abs(r["delta"] - (acc[ia] - acc[ib])) < 1e-12  # closed form: difference of accuracies


def test_mmlu_compare_bootstrap_ci_matches_scipy(mmlu):
    """Paired percentile bootstrap CI of the accuracy difference vs ``scipy.stats.bootstrap(paired=True,
    method="percentile")``, B = 5000 on both sides. Each endpoint is a sample quantile of B replicates:
    its MC sd is sqrt(q (1 - q) / B) / f(x_q) with f the normal density of the bootstrap distribution
    (sd = scipy's bootstrap standard_error); the two estimates are independent, so the difference
    has sd sqrt(2) times that; tolerance Z_MC of those plus one lattice step 1/n of the statistic."""
    from scipy.stats import bootstrap, norm

    models, correct = mmlu["models"], mmlu["correct"]
    a, b = PAIR
    xa = correct[:, models.index(a)].astype(float)
    xb = correct[:, models.index(b)].astype(float)
    r = ew.compare(mmlu["rf"], a, b, method="percentile", n_resamples=N_BOOT_CMP, seed=0).table.row(0, named=True)
    ref = bootstrap((xa, xb), lambda x, y, axis: (x - y).mean(axis), paired=True, vectorized=True,
                    n_resamples=N_BOOT_CMP, method="percentile", confidence_level=0.95, batch=250,
                    rng=np.random.default_rng(20240601))
    se = ref.standard_error
    q = 0.025
    mcse = math.sqrt(2) * math.sqrt(q * (1 - q) / N_BOOT_CMP) / (norm.pdf(norm.ppf(q)) / se)
    tol = Z_MC * mcse + 1 / N_QUESTIONS
    assert abs(r["ci_low"] - ref.confidence_interval.low) <= tol, (r["ci_low"], ref.confidence_interval.low, tol)
    assert abs(r["ci_high"] - ref.confidence_interval.high) <= tol, (r["ci_high"], ref.confidence_interval.high, tol)


def test_mmlu_significance_holm(mmlu):
    from statsmodels.stats.contingency_tables import mcnemar
    from statsmodels.stats.multitest import multipletests

    models, correct = mmlu["models"], mmlu["correct"]
    s = ew.significance(mmlu["rf"], correction="holm", n_resamples=200, seed=0).table
    assert s.height == N_MODELS * (N_MODELS - 1) // 2 == 406
    p = s["p_value"].to_numpy()
    # Holm step-down adjustment of its own p-value column (statsmodels)
    np.testing.assert_allclose(s["p_adjusted"].to_numpy(), multipletests(p, method="holm")[1], rtol=1e-12, atol=0)
    assert (s["significant"] == (s["p_adjusted"] < 0.05)).all()
    # every raw p-value is the exact McNemar p on the pair's numpy 2x2 table; every delta a difference of accuracies
    acc = correct.mean(0)
    both = np.ones(N_QUESTIONS, bool)
    for (ma, mb, delta, pv, lo, hi) in s.select("model_a", "model_b", "delta", "p_value", "ci_low", "ci_high").iter_rows():
        ia, ib = models.index(ma), models.index(mb)
        assert acc[ia] >= acc[ib]  # model_a is ranked above model_b
        assert abs(delta - (acc[ia] - acc[ib])) < 1e-12
        assert lo <= delta <= hi
        p_ref = mcnemar(_table2x2(correct, both, ia, ib), exact=True).pvalue
        assert math.isclose(pv, p_ref, rel_tol=1e-9, abs_tol=1e-300), (ma, mb, pv, p_ref)


# ---- variant: blank predictions are missing cells ------------------------------------------
def test_mmlu_missing_cells_are_counted(mmlu):
    rf, answered = mmlu["rf_missing"], mmlu["answered"]
    n_blank = int((~answered).sum())
    ex = dict(zip(rf.excluded["reason"].to_list(), rf.excluded["count"].to_list()))
    assert ex["null score"] == n_blank
    n_items = int(answered.any(1).sum())  # questions answered by at least one model
    assert rf.n_items == n_items and rf.n_models == N_MODELS
    assert ex.get("item missing for some models", 0) == N_MODELS * n_items - int(answered.sum())


def test_mmlu_missing_leaderboard_uses_own_items(mmlu):
    rf, answered, correct = mmlu["rf_missing"], mmlu["answered"], mmlu["correct"]
    lb = _by_model(ew.leaderboard(rf, method="wilson", n_resamples=200, seed=0).table, mmlu["models"])
    np.testing.assert_array_equal(lb["n_items"].to_numpy(), answered.sum(0))
    np.testing.assert_allclose(lb["score"].to_numpy(), correct.sum(0) / answered.sum(0), rtol=0, atol=1e-12)
    assert ((lb["ci_low"] <= lb["score"]) & (lb["score"] <= lb["ci_high"])).all()


def test_mmlu_missing_compare_uses_shared_items(mmlu):
    from statsmodels.stats.contingency_tables import mcnemar

    models, answered, correct = mmlu["models"], mmlu["answered"], mmlu["correct"]
    a, b = PAIR_MISSING
    ia, ib = models.index(a), models.index(b)
    both = answered[:, ia] & answered[:, ib]
    assert both.sum() < min(answered[:, ia].sum(), answered[:, ib].sum())  # the pair really differs in coverage
    r = ew.compare(mmlu["rf_missing"], a, b, method="percentile", n_resamples=200, seed=0).table.row(0, named=True)
    assert r["n_items"] == int(both.sum())
    sa, sb = correct[both, ia].mean(), correct[both, ib].mean()
    assert abs(r["score_a"] - sa) < 1e-12 and abs(r["score_b"] - sb) < 1e-12
    assert abs(r["delta"] - (sa - sb)) < 1e-12
    p_ref = mcnemar(_table2x2(correct, both, ia, ib), exact=True).pvalue
    assert math.isclose(r["p_value"], p_ref, rel_tol=1e-10, abs_tol=1e-300), (r["p_value"], p_ref)
