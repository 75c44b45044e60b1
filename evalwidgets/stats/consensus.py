"""Multi-task rank aggregation (mean, mean win rate, Borda, Copeland, Kemeny) and perturbation
checks (leave one task / one model out).

Per-task scores are each model's mean over its own items in the task. Sources: Colombo et al.
(2022), "What are the best systems? New perspectives on NLP benchmarking"; Liang et al. (2022,
HELM) for the mean win rate; Kemeny (1959).
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import polars as pl

from ._ranks import competition_rank
from ._validate import check_rf
from .results import Result, versions

__all__ = ["aggregate_ranks", "rank_perturbation", "METHODS"]

METHODS = ("mean", "mean_win_rate", "borda", "copeland", "kemeny")
_KEMENY_EXACT_MAX = 10


def _task_scores(rf, by: str):
    if by not in rf.data.columns:
        from ..errors import ColumnNotFoundError, did_you_mean

        raise ColumnNotFoundError(
            f"by={by!r}: the frame has no {by!r} column.{did_you_mean(by, rf.data.columns)} "
            f"Fix: ew.from_frame(df, ..., task='<task column>') or by=<a column of rf.data>.")
    tab = (rf.data.group_by(["model", "item", by]).agg(pl.col("score").mean())
           .group_by(["model", by]).agg(pl.col("score").mean())
           .pivot(on=by, index="model", values="score"))
    models = [m for m in rf.models if m in tab["model"].to_list()]
    tab = tab.join(pl.DataFrame({"model": models}), on="model", how="right").select(tab.columns)
    tasks = [c for c in tab.columns if c != "model"]
    S = tab.select(tasks).to_numpy().astype(np.float64)  # (M, T), NaN where a model has no item in a task
    return tab["model"].to_list(), tasks, S


def _pairwise_task_wins(S: np.ndarray) -> np.ndarray:
    """W[a, b] = number of tasks where a scores higher than b (+0.5 per tie); tasks where either is
    missing are skipped."""
    A = S[:, None, :]
    Bm = S[None, :, :]
    ok = ~np.isnan(A) & ~np.isnan(Bm)
    return np.where(ok, (A > Bm) + 0.5 * (A == Bm), 0.0).sum(2)


def _kemeny(W: np.ndarray) -> tuple[np.ndarray, str]:
    """Order minimising disagreements sum_{a before b} W[b, a]. Exact dynamic programme over subsets
    for <= 10 models; above, Copeland order improved by insertion moves until no move helps
    (a local optimum, documented as a heuristic)."""
    M = W.shape[0]
    if M <= _KEMENY_EXACT_MAX:
        full = (1 << M) - 1
        best = {0: (0.0, ())}
        for size in range(M):
            nxt: dict[int, tuple[float, tuple]] = {}
            for mask, (cost, order) in best.items():
                if bin(mask).count("1") != size:
                    continue
                rest = [m for m in range(M) if not mask >> m & 1]
                for m in rest:
                    # placing m next: it precedes every model still unplaced
                    c = cost + sum(W[o, m] for o in rest if o != m)
                    key = mask | (1 << m)
                    if key not in nxt or c < nxt[key][0] - 1e-12:
                        nxt[key] = (c, order + (m,))
            best = nxt
        return np.array(best[full][1]), "exact (dynamic programme over subsets)"
    order = list(np.argsort(-(W > W.T).sum(1), kind="stable"))

    def cost(o):
        pos = np.empty(M, int)
        pos[o] = np.arange(M)
        return float(np.sum(W * (pos[:, None] > pos[None, :])))

    cur = cost(order)
    improved = True
    while improved:
        improved = False
        for i in range(M):
            for j in range(M):
                if i == j:
                    continue
                cand = order.copy()
                m = cand.pop(i)
                cand.insert(j, m)
                c = cost(cand)
                if c < cur - 1e-12:
                    order, cur, improved = cand, c, True
    return np.array(order), "heuristic (Copeland start + insertion local search)"


def _scores(S: np.ndarray, method: str):
    M = S.shape[0]
    note = ""
    if method == "mean":
        sc = np.nanmean(S, axis=1)
    elif method == "mean_win_rate":
        W = _pairwise_task_wins(S)
        n_cmp = (~np.isnan(S[:, None, :]) & ~np.isnan(S[None, :, :])).sum(2)
        np.fill_diagonal(n_cmp, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            # HELM: per task, the share of other models beaten; averaged over tasks
            rates = []
            for t in range(S.shape[1]):
                col = S[:, t]
                ok = ~np.isnan(col)
                k = ok.sum()
                if k < 2:
                    continue
                wins = (col[:, None] > col[None, :]) + 0.5 * (col[:, None] == col[None, :])
                wins = np.where(ok[:, None] & ok[None, :], wins, 0.0)
                np.fill_diagonal(wins, 0.0)
                rates.append(np.where(ok, wins.sum(1) / (k - 1), np.nan))
            sc = np.nanmean(np.array(rates), axis=0) if rates else np.full(M, np.nan)
    elif method == "borda":
        # per task, points = number of models ranked below (ties: half a point each)
        sc = np.zeros(M)
        for t in range(S.shape[1]):
            col = S[:, t]
            ok = ~np.isnan(col)
            pts = np.where(ok[:, None] & ok[None, :], (col[:, None] > col[None, :]) + 0.5 * (col[:, None] == col[None, :]), 0.0)
            np.fill_diagonal(pts, 0.0)
            sc += pts.sum(1)
    elif method == "copeland":
        W = _pairwise_task_wins(S)
        sc = ((W > W.T) + 0.5 * (W == W.T)).sum(1) - 0.5  # minus the self-comparison tie
    elif method == "kemeny":
        order, note = _kemeny(_pairwise_task_wins(S))
        sc = np.empty(M)
        sc[order] = M - np.arange(M)  # consensus position as points (M = first)
    else:  # pragma: no cover
        raise ValueError(method)
    return sc, note


def _validate_methods(methods) -> tuple[str, ...]:
    from ..errors import did_you_mean

    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r}.{did_you_mean(m, METHODS)} Choose from {list(METHODS)}.")
    return methods


def aggregate_ranks(rf, *, by: str = "task", methods: Sequence[str] = METHODS) -> Result:
    """Rank models across tasks by several aggregation rules and show how much they agree.

    Returns
    -------
    Result
        ``.table``: ``model, method, score, rank`` (one row per model and method; rank 1 best).
        ``mean`` = mean of per-task scores; ``mean_win_rate`` = per task the share of other models
        beaten (ties half), averaged over tasks (HELM); ``borda`` = per-task Borda points summed;
        ``copeland`` = pairwise majority over tasks, wins + half ties; ``kemeny`` = the order
        minimising the total number of (task, pair) disagreements, exact for <= 10 models, a
        Copeland-started insertion local search above; its score is the consensus position as
        points. ``.agreement``: ``method_a, method_b, kendall_tau`` (tau-b between the methods'
        scores).

    Examples
    --------
    >>> import evalwidgets as ew
    >>> rf = ew.datasets.simulate_binary(n_models=4, n_items=300, n_tasks=5, seed=1)
    >>> r = ew.aggregate_ranks(rf)
    >>> sorted(set(r.table["method"]))
    ['borda', 'copeland', 'kemeny', 'mean', 'mean_win_rate']
    """
    from scipy.stats import kendalltau

    check_rf(rf, "aggregate_ranks", min_models=2)
    methods = _validate_methods(methods)
    models, tasks, S = _task_scores(rf, by)
    rows = []
    scores = {}
    notes = {}
    for meth in methods:
        sc, note = _scores(S, meth)
        scores[meth] = sc
        notes[meth] = note
        for m, s, r in zip(models, sc, competition_rank(sc)):
            rows.append((m, meth, float(s), int(r)))
    table = pl.DataFrame(rows, schema=["model", "method", "score", "rank"], orient="row")
    agree = []
    for a, b in itertools.combinations(methods, 2):
        tau = kendalltau(scores[a], scores[b], variant="b").statistic
        agree.append((a, b, float(tau)))
    agreement = pl.DataFrame(agree, schema=["method_a", "method_b", "kendall_tau"], orient="row")
    spec = {"analysis": "aggregate_ranks", "by": by, "methods": list(methods), "n_tasks": len(tasks),
            "kemeny": notes.get("kemeny", ""), "versions": versions(),
            "description": f"Per-{by} mean scores of {len(models)} models over {len(tasks)} {by}s, aggregated "
                           f"by {', '.join(methods)}."}
    return Result("aggregate_ranks", table, spec, {"agreement": agreement})


def rank_perturbation(rf, *, by: str = "task", method: str = "mean_win_rate") -> Result:
    """Leave-one-task-out and leave-one-model-out checks of an aggregated ranking.

    Returns
    -------
    Result
        ``.table``: ``kind`` ("task" or "model"), ``dropped``, ``model``, ``rank_full``,
        ``rank_without``, ``change`` (rank_without - rank_full among the remaining models, where
        ranks are re-numbered without a dropped model), ``leader_changed`` (the top model differs
        from the full-data leader among the remaining models).

    Examples
    --------
    >>> import evalwidgets as ew
    >>> rf = ew.datasets.simulate_binary(n_models=4, n_items=300, n_tasks=4, seed=1)
    >>> ew.rank_perturbation(rf).table.columns
    ['kind', 'dropped', 'model', 'rank_full', 'rank_without', 'change', 'leader_changed']
    """
    check_rf(rf, "rank_perturbation", min_models=3)
    (method,) = _validate_methods(method)
    models, tasks, S = _task_scores(rf, by)
    full, _ = _scores(S, method)
    rows = []
    if len(tasks) >= 2:
        for t, task in enumerate(tasks):
            keep = [j for j in range(len(tasks)) if j != t]
            sc, _ = _scores(S[:, keep], method)
            rows += _changes("task", task, models, np.arange(len(models)), full, sc)
    for i, m in enumerate(models):
        keep = np.array([j for j in range(len(models)) if j != i])
        sc, _ = _scores(S[keep], method)
        rows += _changes("model", m, models, keep, full, sc)
    table = pl.DataFrame(rows, schema=["kind", "dropped", "model", "rank_full", "rank_without", "change",
                                       "leader_changed"], orient="row")
    spec = {"analysis": "rank_perturbation", "by": by, "method": method, "versions": versions(),
            "description": f"{method} ranking over {by}s recomputed without each {by} and without each model."}
    return Result("rank_perturbation", table, spec)


def _changes(kind, dropped, models, keep, full, sc):
    r_full = competition_rank(full[keep])
    r_new = competition_rank(sc)
    # the full-data leader among the remaining models, and whether it is still first without `dropped`
    lead_changed = bool(r_new[int(np.argmax(r_full == 1))] != 1) if len(keep) else False
    return [(kind, str(dropped), models[k], int(a), int(b), int(b - a), lead_changed)
            for k, a, b in zip(keep, r_full, r_new)]
