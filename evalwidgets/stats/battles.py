"""Pairwise battles: Bradley-Terry ratings with bootstrap intervals, and win-rate matrices.

Bradley-Terry (1952): P(a beats b) = sigmoid(theta_a - theta_b). Ties count as half a win for each
side (``ties="half"``, as in the Chatbot Arena ratings, Chiang et al. 2024). The MLE is found by
Newton's method on the aggregated win counts (one M x M system per iteration, whatever the number
of battles). The bootstrap draws battle outcome counts from the exact multinomial over the
observed (pair, outcome) cells - or resamples items, with all their battles, when the frame has an
``item`` role - so no per-battle loop is ever run.
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np
import polars as pl

from ._validate import check_level, check_resamples, check_seed
from .results import Result, versions

__all__ = ["bradley_terry", "win_matrix", "fit_bt"]

_ELO = 400.0 / math.log(10.0)


def _cells(bf):
    """Cells (a, b, outcome) with counts, models indexed as bf.models."""
    idx = {m: i for i, m in enumerate(bf.models)}
    d = bf.data
    a = np.fromiter((idx[m] for m in d["model_a"]), np.int64, d.height)
    b = np.fromiter((idx[m] for m in d["model_b"]), np.int64, d.height)
    o = np.rint(d["outcome"].to_numpy() * 2).astype(np.int64)  # 0, 1, 2
    M = len(bf.models)
    code = (a * M + b) * 3 + o
    uniq, inv, counts = np.unique(code, return_inverse=True, return_counts=True)
    ca, rest = np.divmod(uniq // 3, M)
    return ca, rest, (uniq % 3) / 2.0, counts.astype(np.float64), inv.reshape(-1)


def _wins(M, ca, cb, co, counts):
    """W[a, b] = wins of a over b with ties as half wins for each side."""
    W = np.zeros((M, M))
    np.add.at(W, (ca, cb), counts * co)
    np.add.at(W, (cb, ca), counts * (1.0 - co))
    return W


def fit_bt(W: np.ndarray, theta0: np.ndarray | None = None, *, tol: float = 1e-10, max_iter: int = 200):
    """Bradley-Terry MLE from the win matrix ``W`` (W[a, b] = wins of a over b), centred to mean 0.
    Newton's method with step halving; NaN when the MLE does not exist (e.g. a model that never lost)."""
    M = W.shape[0]
    N = W + W.T
    theta = np.zeros(M) if theta0 is None else theta0.copy()

    def loglik(t):
        d = t[:, None] - t[None, :]
        return float(np.sum(W * -np.logaddexp(0.0, -d)))

    ll = loglik(theta)
    for _ in range(max_iter):
        d = theta[:, None] - theta[None, :]
        s = 1.0 / (1.0 + np.exp(-d))
        g = (W - N * s).sum(1)
        h = N * s * (1 - s)
        H = np.diag(h.sum(1)) - h  # negative Hessian (a graph Laplacian), singular along 1
        step = np.linalg.lstsq(H + np.ones((M, M)) / M, g, rcond=None)[0]
        t = 1.0
        while True:
            cand = theta + t * step
            ll_c = loglik(cand)
            if ll_c >= ll - 1e-12 or t < 1e-8:
                break
            t *= 0.5
        theta, ll_old, ll = cand - cand.mean(), ll, ll_c
        if np.max(np.abs(t * step)) < tol or abs(ll - ll_old) < tol * max(1.0, abs(ll)):
            break
    if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > 30:
        return np.full(M, np.nan)
    return theta


def _scale(theta, models, scale, anchor):
    if scale == "logit":
        out = theta.copy()
        base = 0.0
    else:
        out = _ELO * theta
        base = 1000.0
    if anchor is None:
        return out - np.nanmean(out, axis=-1, keepdims=True) + base
    name, value = (anchor, base) if isinstance(anchor, str) else anchor
    i = models.index(name)
    return out - out[..., i:i + 1] + value


def bradley_terry(bf, *, n_resamples: int = 1_000, seed: int = 0, scale: Literal["elo", "logit"] = "elo",
                  anchor=None, ties: Literal["half"] = "half", ci: float = 0.95) -> Result:
    """Bradley-Terry ratings with bootstrap intervals and rank intervals.

    Parameters
    ----------
    bf : BattleFrame
    n_resamples, seed : bootstrap replicates (battles, or items when ``bf`` has an ``item`` role).
    scale : "elo" (1000 + 400 log10-odds, mean 1000) or "logit" (mean 0).
    anchor : model name (pinned to 1000 / 0) or (model, value).
    ties : "half" - a tie is half a win for each side.

    Returns
    -------
    Result
        ``.table``: ``model, rating, ci_low, ci_high, rank, rank_low, rank_high, n_battles, win_rate``
        (``win_rate`` = (wins + ties/2) / battles, observed). ``.pairwise``: ``model_a, model_b,
        p_a_beats_b`` predicted by the fitted ratings.

    Examples
    --------
    >>> import polars as pl, evalwidgets as ew
    >>> df = pl.DataFrame({"model_a": ["x", "y", "z"] * 20, "model_b": ["y", "z", "x"] * 20,
    ...                    "winner": ["model_a", "model_a", "model_b", "tie"] * 15})
    >>> r = ew.bradley_terry(ew.battles(df), n_resamples=200)
    >>> r.table.columns
    ['model', 'rating', 'ci_low', 'ci_high', 'rank', 'rank_low', 'rank_high', 'n_battles', 'win_rate']
    """
    from ..battleframe import BattleFrame

    if not isinstance(bf, BattleFrame):
        raise TypeError(f"bradley_terry() takes a BattleFrame, got {type(bf).__name__}. "
                        "Fix: bf = ew.battles(df, model_a=..., model_b=..., winner=...).")
    if ties != "half":
        raise ValueError(f"ties={ties!r}: only 'half' (a tie is half a win for each side) is supported.")
    if scale not in ("elo", "logit"):
        raise ValueError(f"scale={scale!r}: use 'elo' or 'logit'.")
    if anchor is not None:
        name = anchor if isinstance(anchor, str) else anchor[0]
        if name not in bf.models:
            from ..errors import did_you_mean

            raise KeyError(f"anchor={name!r} is not a model in the battles.{did_you_mean(name, bf.models)}")
    level = check_level(ci)
    B = check_resamples(n_resamples)
    seed = check_seed(seed)
    models = bf.models
    M = len(models)
    ca, cb, co, counts, cell_of_battle = _cells(bf)
    W = _wins(M, ca, cb, co, counts)
    theta = fit_bt(W)
    if np.isnan(theta).any():
        raise ValueError("the Bradley-Terry MLE does not exist for these battles: some model never lost (or never "
                         "won) against the rest, or the comparison graph is disconnected. Fix: collect more "
                         "battles, or drop the model(s) with only wins or only losses.")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    reps = np.empty((B, M))
    if "item" in bf.data.columns:
        import scipy.sparse as sp

        items, item_of_battle = np.unique(bf.data["item"].to_numpy().astype(str), return_inverse=True)
        IC = sp.csr_matrix((np.ones(bf.data.height), (item_of_battle.reshape(-1), cell_of_battle)),
                           shape=(items.shape[0], counts.shape[0]))
        draws = rng.multinomial(items.shape[0], np.full(items.shape[0], 1.0 / items.shape[0]), size=B)
        cell_counts = np.asarray((IC.T @ draws.T).T, dtype=np.float64)
        unit = "items"
    else:
        cell_counts = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=B).astype(np.float64)
        unit = "battles"
    for b in range(B):
        reps[b] = fit_bt(_wins(M, ca, cb, co, cell_counts[b]), theta)
    rating = _scale(theta, models, scale, anchor)
    rrep = _scale(reps, models, scale, anchor)
    a2 = (1 - level) / 2
    ok = np.isfinite(rrep).all(1)
    lo, hi = np.quantile(rrep[ok], [a2, 1 - a2], axis=0) if ok.any() else (np.full(M, np.nan),) * 2
    rank = (rating[None, :] > rating[:, None]).sum(1) + 1
    rr = (rrep[ok][:, None, :] > rrep[ok][:, :, None]).sum(2) + 1
    n_b = (W + W.T).sum(1)
    table = pl.DataFrame({
        "model": models, "rating": rating, "ci_low": lo, "ci_high": hi, "rank": rank,
        "rank_low": np.quantile(rr, a2, axis=0, method="lower").astype(np.int64),
        "rank_high": np.quantile(rr, 1 - a2, axis=0, method="higher").astype(np.int64),
        "n_battles": np.rint(n_b).astype(np.int64), "win_rate": W.sum(1) / n_b,
    }).sort(["rank", "model"])
    ia, ib = np.triu_indices(M, 1)
    pairwise = pl.DataFrame({"model_a": [models[i] for i in ia], "model_b": [models[j] for j in ib],
                             "p_a_beats_b": 1.0 / (1.0 + np.exp(-(theta[ia] - theta[ib])))})
    spec = {"analysis": "bradley_terry", "n_resamples": B, "seed": seed, "level": level, "scale": scale,
            "anchor": anchor, "ties": ties, "resampling": unit, "failed_replicates": int((~ok).sum()),
            "n_battles": bf.spec["n_battles"], "excluded_rows": int(bf.excluded["count"].sum()) if bf.excluded.height else 0,
            "versions": versions(),
            "description": (f"Bradley-Terry MLE (Newton) on {bf.spec['n_battles']:,} battles, ties as half wins; "
                            f"{level:.0%} percentile intervals from {B:,} multinomial bootstrap replicates over "
                            f"{unit} (seed={seed}).")}
    return Result("bradley_terry", table, spec, {"pairwise": pairwise, "replicates": rrep})


def win_matrix(bf, *, ci: float = 0.95) -> Result:
    """Observed win rates of every ordered pair, pooling both presentation orders.

    ``.table``: ``model_a, model_b, n, wins, ties, losses, win_rate, ci_low, ci_high`` where
    ``win_rate = (wins + ties/2) / n`` and the interval is Wilson's on that fraction.

    Examples
    --------
    >>> import polars as pl, evalwidgets as ew
    >>> df = pl.DataFrame({"model_a": ["x", "y"], "model_b": ["y", "x"], "winner": ["model_a", "tie"]})
    >>> ew.win_matrix(ew.battles(df)).table.filter(pl.col("model_a") == "x")["win_rate"].item()
    0.75
    """
    from .intervals import binomial_interval

    level = check_level(ci)
    models = bf.models
    M = len(models)
    ca, cb, co, counts, _ = _cells(bf)
    wins = np.zeros((M, M))
    ties = np.zeros((M, M))
    tot = np.zeros((M, M))
    for a, b, o, c in zip(ca, cb, co, counts):
        tot[a, b] += c
        tot[b, a] += c
        if o == 1.0:
            wins[a, b] += c
        elif o == 0.0:
            wins[b, a] += c
        else:
            ties[a, b] += c
            ties[b, a] += c
    ia, ib = np.nonzero(tot > 0)
    n = tot[ia, ib]
    w = wins[ia, ib]
    t = ties[ia, ib]
    rate = (w + 0.5 * t) / n
    lo, hi = binomial_interval(rate * n, n, "wilson", level)
    table = pl.DataFrame({"model_a": [models[i] for i in ia], "model_b": [models[j] for j in ib],
                          "n": np.rint(n).astype(np.int64), "wins": np.rint(w).astype(np.int64),
                          "ties": np.rint(t).astype(np.int64), "losses": np.rint(n - w - t).astype(np.int64),
                          "win_rate": rate, "ci_low": lo, "ci_high": hi})
    return Result("win_matrix", table, {"analysis": "win_matrix", "level": level, "versions": versions()})
