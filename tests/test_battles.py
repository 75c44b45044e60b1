"""Battles (issue 3, pairwise part): BattleFrame validation, Bradley-Terry vs scipy.optimize, PRD win
matrices vs the authors' published heatmaps, simulation with known strengths."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from scipy import optimize

import evalwidgets as ew
from evalwidgets.errors import SchemaError

PRD_NAMES = {"gpt-4": "gpt4", "claude": "claude", "vicuna": "vicuna-13b", "gpt-3.5": "gpt35", "bard": "bard"}


def _simulate(strength, n, seed, tie=0.1):
    rng = np.random.default_rng(seed)
    M = len(strength)
    a = rng.integers(0, M, n)
    b = (a + rng.integers(1, M, n)) % M
    p = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    u = rng.random(n)
    w = np.where(u < tie, "tie", np.where(rng.random(n) < p, "model_a", "model_b"))
    return pl.DataFrame({"model_a": [f"m{i}" for i in a], "model_b": [f"m{i}" for i in b], "winner": w})


def test_mle_matches_scipy_optimize():
    bf = ew.battles(_simulate(np.array([0.0, 0.4, -0.3, 1.0, 0.2]), 3000, seed=1))
    r = ew.bradley_terry(bf, n_resamples=20, scale="logit")
    # independent negative log-likelihood: every battle, ties as half a win for each side
    idx = {m: i for i, m in enumerate(bf.models)}
    a = np.array([idx[m] for m in bf.data["model_a"]])
    b = np.array([idx[m] for m in bf.data["model_b"]])
    o = bf.data["outcome"].to_numpy()

    def nll(t):
        d = t[a] - t[b]
        return -np.sum(o * -np.logaddexp(0, -d) + (1 - o) * -np.logaddexp(0, d))

    res = optimize.minimize(nll, np.zeros(len(idx)), method="BFGS", options={"gtol": 1e-10})
    want = res.x - res.x.mean()
    got = r.table.sort("model")["rating"].to_numpy()
    order = np.argsort(bf.models)
    np.testing.assert_allclose(got, want[order], atol=1e-6)


def test_strengths_are_recovered_within_intervals():
    truth = np.array([0.0, 0.5, 1.0, -0.5, 0.25, -1.0])
    covered = 0
    total = 0
    for seed in range(8):
        # no ties: with ties counted as half wins the BT estimand is shrunk towards 0, not `truth`
        r = ew.bradley_terry(ew.battles(_simulate(truth, 4000, seed, tie=0.0)), n_resamples=300, scale="logit",
                             seed=seed)
        t = r.table.sort("model")
        lo, hi = t["ci_low"].to_numpy(), t["ci_high"].to_numpy()
        ref = truth - truth.mean()
        covered += int(np.sum((lo <= ref) & (ref <= hi)))
        total += len(truth)
    # 48 intervals at 95%: expected ~45.6, binomial sd ~1.5 -> at least 40 (3.7 sd below)
    assert covered >= 40, covered


def test_prd_win_matrices_reproduce_the_published_heatmaps(shared_data):
    d = shared_data / "prd_vicuna80_pairwise"
    ratings = pl.read_csv(d / "ratings.csv")
    pub = json.loads((d / "published_chart_heatmaps.json").read_text())
    llm = ["gpt4", "gpt35", "claude", "bard", "vicuna-13b"]
    for chart, rows in (("gpt4_heatmap", ratings.filter(pl.col("reviewer") == "gpt4")),
                        ("all_heatmap", ratings.filter(pl.col("reviewer").is_in(llm)))):
        bf = ew.battles(rows, model_a="model_1", model_b="model_2", winner="score", item="question_id")
        wm = ew.win_matrix(bf).table
        got = {(r["model_a"], r["model_b"]): r["win_rate"] for r in wm.iter_rows(named=True)}
        z = pub[chart]
        for i, y in enumerate(z["y"]):
            for j, x in enumerate(z["x"]):
                if z["z"][i][j] is not None:  # PROVENANCE: exact reproduction
                    assert got[(PRD_NAMES[y], PRD_NAMES[x])] == pytest.approx(z["z"][i][j], abs=1e-12), (chart, y, x)
    bt = ew.bradley_terry(ew.battles(ratings.filter(pl.col("reviewer") == "gpt4"), model_a="model_1",
                                     model_b="model_2", winner="score", item="question_id"), n_resamples=200)
    assert bt.table["model"][0] == "gpt4" and bt.spec["resampling"] == "items"


def test_validation_and_ledger():
    df = pl.DataFrame({"model_a": ["x", "y", "x", "x"], "model_b": ["y", "x", "x", "y"],
                       "winner": ["model_a", "tie (bothbad)", "tie", None]})
    bf = ew.battles(df)
    reasons = dict(zip(bf.excluded["reason"], bf.excluded["count"]))
    assert reasons == {"winner 'tie (bothbad)' counted as a tie": 1, "null winner or model": 1,
                       "self-battle (model_a == model_b)": 1}
    assert bf.data["outcome"].to_list() == [1.0, 0.5]
    with pytest.raises(SchemaError, match=r"values that are not model_a/model_b/tie or a model name: 'A>>B' \(1\)\. Fix: ew.battles\(df, \.\.\., mapping=\{'A>>B': 'model_a'\}\)"):
        ew.battles(df.with_columns(pl.lit("A>>B").alias("winner")).head(1))
    bf2 = ew.battles(df.with_columns(pl.lit("A>>B").alias("winner")).head(1), mapping={"A>>B": "model_a"})
    assert bf2.data["outcome"].to_list() == [1.0]
    with pytest.raises(KeyError, match="model_c"):
        ew.battles(df, model_b="model_c")


def test_anchor_seed_and_pairwise():
    bf = ew.battles(_simulate(np.array([0.0, 0.6, -0.4]), 1500, seed=3))
    r1 = ew.bradley_terry(bf, n_resamples=100, seed=4, anchor=("m0", 1200.0))
    r2 = ew.bradley_terry(bf, n_resamples=100, seed=4, anchor=("m0", 1200.0))
    assert r1.table.equals(r2.table)
    t = {r["model"]: r for r in r1.table.iter_rows(named=True)}
    assert t["m0"]["rating"] == pytest.approx(1200.0)
    pw = r1.pairwise.row(0, named=True)
    ra, rb = t[pw["model_a"]]["rating"], t[pw["model_b"]]["rating"]
    assert pw["p_a_beats_b"] == pytest.approx(1 / (1 + 10 ** (-(ra - rb) / 400)))  # Elo scale: 400 per decade


def test_elo_kernel_matches_oracle_and_transitivity_counts_cycles():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from reference import oracles

    from evalwidgets.kernels.elo import elo_permutations
    from evalwidgets.stats._engine import seed_key

    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 40)
    b = (a + rng.integers(1, 4, 40)) % 4
    o = rng.choice([0.0, 0.5, 1.0], 40)
    key = seed_key(3)
    got = elo_permutations(a, b, o, 4, 4.0, 400.0, 10.0, 1000.0, 5, key)
    want = oracles.elo_permutations(a, b, o, 4, 4.0, 400.0, 10.0, 1000.0, 5, int(key))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # a rock-paper-scissors tournament plus a model that loses to everyone: 1 circular triad of 4
    df = pl.DataFrame({"model_a": ["r", "p", "s", "r", "p", "s"], "model_b": ["s", "r", "p", "w", "w", "w"],
                       "winner": ["model_a"] * 6})
    t = ew.transitivity(ew.battles(df))
    assert t.table.row(0, named=True) == {"n_models": 4, "n_triads": 4, "circular_triads": 1,
                                          "share_intransitive": 0.25, "consistence": 0.5}  # d_max(4) = 2
    assert ew.elo(ew.battles(df), n_permutations=20).table["model"][-1] == "w"


def test_ties_double_is_the_arena_likelihood():
    """ties='double' maximises sum over battles of log P(outcome) with a tie entered as one win each
    way (the Chatbot Arena notebook's duplicated tie rows); checked with scipy.optimize."""
    bf = ew.battles(_simulate(np.array([0.0, 0.5, -0.5, 0.2]), 2000, seed=7, tie=0.3))
    r = ew.bradley_terry(bf, n_resamples=10, scale="logit", ties="double")
    idx = {m: i for i, m in enumerate(bf.models)}
    a = np.array([idx[m] for m in bf.data["model_a"]])
    b = np.array([idx[m] for m in bf.data["model_b"]])
    o = bf.data["outcome"].to_numpy()
    wa = np.where(o == 0.5, 1.0, o)
    wb = np.where(o == 0.5, 1.0, 1 - o)

    def nll(t):
        d = t[a] - t[b]
        return -np.sum(wa * -np.logaddexp(0, -d) + wb * -np.logaddexp(0, d))

    res = optimize.minimize(nll, np.zeros(len(idx)), method="BFGS", options={"gtol": 1e-10})
    want = (res.x - res.x.mean())[np.argsort(bf.models)]
    np.testing.assert_allclose(r.table.sort("model")["rating"].to_numpy(), want, atol=1e-6)
    half = ew.bradley_terry(bf, n_resamples=10, scale="logit").table.sort("model")["rating"].to_numpy()
    assert np.max(np.abs(half - want)) > 1e-3  # the two tie rules are different likelihoods


def test_prd_human_heatmap_after_majority_vote(shared_data):
    """PROVENANCE: the human heatmap is reproduced after a per-(pair, question) majority vote of the
    repeated human ratings (no majority -> tie) within 1/160 (the authors' tie-breaking differs)."""
    d = shared_data / "prd_vicuna80_pairwise"
    h = pl.read_csv(d / "ratings.csv").filter(pl.col("reviewer") == "human")
    votes = (h.group_by("model_1", "model_2", "question_id", "winner").len()
             .with_columns(pl.col("len").sum().over("model_1", "model_2", "question_id").alias("n")))
    major = votes.filter(pl.col("len") * 2 > pl.col("n")).select("model_1", "model_2", "question_id", "winner")
    keys = h.select("model_1", "model_2", "question_id").unique()
    voted = keys.join(major, on=["model_1", "model_2", "question_id"], how="left").with_columns(
        pl.col("winner").fill_null("tie"))
    wm = ew.win_matrix(ew.battles(voted, model_a="model_1", model_b="model_2", winner="winner")).table
    got = {(r["model_a"], r["model_b"]): r["win_rate"] for r in wm.iter_rows(named=True)}
    z = json.loads((d / "published_chart_heatmaps.json").read_text())["human_heatmap"]
    worst = 0.0
    for i, y in enumerate(z["y"]):
        for j, x in enumerate(z["x"]):
            if z["z"][i][j] is not None:
                worst = max(worst, abs(got[(PRD_NAMES[y], PRD_NAMES[x])] - z["z"][i][j]))
    assert worst <= 1 / 160 + 1e-12, worst
