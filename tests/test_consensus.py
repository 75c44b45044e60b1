"""aggregate_ranks / rank_perturbation (issue 3, multi-task part) against closed forms and brute force."""
from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

import evalwidgets as ew
from evalwidgets.stats.consensus import _kemeny, _pairwise_task_wins


def _frame(S):
    """S: (M, T) per-task scores; one item per task, so the task score is that item's score."""
    M, T = S.shape
    return ew.from_frame(pl.DataFrame({
        "model": np.repeat([f"m{i}" for i in range(M)], T), "item": np.tile([f"t{t}" for t in range(T)], M),
        "score": S.ravel(), "task": np.tile([f"t{t}" for t in range(T)], M)}), task="task")


def _get(r, method):
    t = r.table.filter(pl.col("method") == method).sort("model")
    return t["score"].to_numpy(), t["rank"].to_numpy()


def test_closed_forms_on_a_small_example():
    # 3 models x 3 tasks; m0 wins two tasks narrowly, m1 wins one task by far
    S = np.array([[0.60, 0.60, 0.10], [0.55, 0.50, 0.90], [0.10, 0.20, 0.30]])
    r = ew.aggregate_ranks(_frame(S))
    np.testing.assert_allclose(_get(r, "mean")[0], S.mean(1))
    # mean win rate: per task share of the 2 others beaten -> m0 (1, 1, 0) m1 (0.5, 0.5, 1) m2 (0, 0, 0.5)
    np.testing.assert_allclose(_get(r, "mean_win_rate")[0], [2 / 3, 2 / 3, 0.5 / 3])
    # Borda: points = models below per task -> m0 2+2+0, m1 1+1+2, m2 0+0+1
    np.testing.assert_allclose(_get(r, "borda")[0], [4, 4, 1])
    # Copeland: m0 beats m1 in 2 of 3 tasks, both beat m2 -> wins 2, 1, 0
    np.testing.assert_allclose(_get(r, "copeland")[0], [2, 1, 0])
    assert list(_get(r, "mean")[1]) == [2, 1, 3]  # the mean prefers m1 (one big win)
    assert list(_get(r, "kemeny")[1]) == [1, 2, 3]
    assert r.agreement.height == 10


def _kemeny_cost(W, order):
    pos = np.empty(len(order), int)
    pos[list(order)] = np.arange(len(order))
    return float(np.sum(W * (pos[:, None] > pos[None, :])))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kemeny_exact_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    S = rng.random((6, 7))
    W = _pairwise_task_wins(S)
    order, how = _kemeny(W)
    assert how.startswith("exact")
    brute = min(_kemeny_cost(W, p) for p in itertools.permutations(range(6)))  # all 720 orders
    assert _kemeny_cost(W, order) == pytest.approx(brute)


def test_kemeny_heuristic_above_ten_models_is_a_local_optimum_no_worse_than_copeland():
    rng = np.random.default_rng(5)
    S = rng.random((12, 9)) + np.linspace(0, 0.5, 12)[:, None]
    W = _pairwise_task_wins(S)
    order, how = _kemeny(W)
    assert how.startswith("heuristic")
    copeland = list(np.argsort(-(W > W.T).sum(1), kind="stable"))
    assert _kemeny_cost(W, order) <= _kemeny_cost(W, copeland)
    c = _kemeny_cost(W, order)
    for i, j in itertools.permutations(range(12), 2):  # no single insertion move improves it
        cand = list(order)
        m = cand.pop(i)
        cand.insert(j, m)
        assert _kemeny_cost(W, cand) >= c - 1e-12


def test_perturbation_flags_a_leader_change():
    # m0 leads only because of task t2; without t2 m1 leads (mean of per-task scores)
    S = np.array([[0.5, 0.5, 1.0], [0.6, 0.6, 0.1], [0.1, 0.1, 0.1]])
    p = ew.rank_perturbation(_frame(S), method="mean").table
    row = p.filter((pl.col("kind") == "task") & (pl.col("dropped") == "t2") & (pl.col("model") == "m0")).row(0, named=True)
    assert row["rank_full"] == 1 and row["rank_without"] == 2 and row["leader_changed"]
    assert not p.filter((pl.col("kind") == "task") & (pl.col("dropped") == "t0"))["leader_changed"].any()
    assert set(p.filter(pl.col("kind") == "model")["dropped"]) == {"m0", "m1", "m2"}


def test_bad_method_and_missing_column():
    rf = ew.datasets.simulate_binary(n_models=3, n_items=60, n_tasks=3, seed=0)
    with pytest.raises(ValueError, match="unknown method 'kemmeny'. Did you mean 'kemeny'"):
        ew.aggregate_ranks(rf, methods=("kemmeny",))
    with pytest.raises(KeyError, match="by='subject'"):
        ew.aggregate_ranks(rf, by="subject")
