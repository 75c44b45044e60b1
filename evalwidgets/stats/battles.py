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

from ._ranks import competition_rank, rank_interval
from ._validate import check_level, check_resamples, check_seed
from .results import Result, versions

__all__ = ["bradley_terry", "win_matrix", "fit_bt", "elo", "transitivity"]

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


def _wins(M, ca, cb, co, counts, tie_weight: float = 0.5):
    """W[a, b] = wins of a over b; a tie adds ``tie_weight`` to both sides (0.5: half a win each,
    1.0: one win each way, the Chatbot Arena notebook's duplicated tie rows)."""
    W = np.zeros((M, M))
    tie = co == 0.5
    wa = np.where(tie, tie_weight, co)
    wb = np.where(tie, tie_weight, 1.0 - co)
    np.add.at(W, (ca, cb), counts * wa)
    np.add.at(W, (cb, ca), counts * wb)
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
                  anchor=None, ties: Literal["half", "double"] = "half", ci: float = 0.95) -> Result:
    """Bradley-Terry ratings with bootstrap intervals and rank intervals.

    Parameters
    ----------
    bf : BattleFrame
    n_resamples, seed : bootstrap replicates (battles, or items when ``bf`` has an ``item`` role).
    scale : "elo" (1000 + 400 log10-odds, mean 1000) or "logit" (mean 0).
    anchor : model name (pinned to 1000 / 0) or (model, value).
    ties : "half" - a tie is half a win for each side; "double" - one win each way, the Chatbot
        Arena notebook's rule (its duplicated tie rows give ties twice the weight of a decided battle).

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
    if ties not in ("half", "double"):
        raise ValueError(f"ties={ties!r}: use 'half' (half a win for each side) or 'double' (one win each way, "
                         "as the Chatbot Arena notebook).")
    tw = 0.5 if ties == "half" else 1.0
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
    W = _wins(M, ca, cb, co, counts, tw)
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
        reps[b] = fit_bt(_wins(M, ca, cb, co, cell_counts[b], tw), theta)
    rating = _scale(theta, models, scale, anchor)
    rrep = _scale(reps, models, scale, anchor)
    a2 = (1 - level) / 2
    ok = np.isfinite(rrep).all(1)
    lo, hi = np.quantile(rrep[ok], [a2, 1 - a2], axis=0) if ok.any() else (np.full(M, np.nan),) * 2
    rank = competition_rank(rating)
    rank_low, rank_high = rank_interval(competition_rank(rrep[ok]), level)
    W_obs = _wins(M, ca, cb, co, counts, 0.5)  # observed win rate: ties as half wins
    n_b = (W_obs + W_obs.T).sum(1)
    table = pl.DataFrame({
        "model": models, "rating": rating, "ci_low": lo, "ci_high": hi, "rank": rank,
        "rank_low": rank_low, "rank_high": rank_high,
        "n_battles": np.rint(n_b).astype(np.int64), "win_rate": W_obs.sum(1) / n_b,
    }).sort(["rank", "model"])
    ia, ib = np.triu_indices(M, 1)
    pairwise = pl.DataFrame({"model_a": [models[i] for i in ia], "model_b": [models[j] for j in ib],
                             "p_a_beats_b": 1.0 / (1.0 + np.exp(-(theta[ia] - theta[ib])))})
    spec = {"analysis": "bradley_terry", "n_resamples": B, "seed": seed, "level": level, "scale": scale,
            "anchor": anchor, "ties": ties, "resampling": unit, "failed_replicates": int((~ok).sum()),
            "n_battles": bf.spec["n_battles"], "excluded_rows": int(bf.excluded["count"].sum()) if bf.excluded.height else 0,
            "versions": versions(),
            "description": (f"Bradley-Terry MLE (Newton) on {bf.spec['n_battles']:,} battles, ties "
                            f"{'as half wins' if ties == 'half' else 'as one win each way'}; "
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


def elo(bf, *, k: float = 4.0, n_permutations: int = 1_000, seed: int = 0, scale: float = 400.0,
        base: float = 10.0, init: float = 1000.0, ci: float = 0.95) -> Result:
    """Online Elo averaged over random battle orderings, with its spread (Boubdir et al. 2023,
    "Elo Uncovered": a single pass depends on the order of the battles).

    ``.table``: ``model, rating, sd, ci_low, ci_high, rank, rank_low, rank_high`` where ``rating`` is
    the mean final rating over ``n_permutations`` orderings and the interval / rank interval are the
    ``ci`` quantiles over orderings (order sensitivity, not sampling error: use
    :func:`bradley_terry` for that).

    Examples
    --------
    >>> import polars as pl, evalwidgets as ew
    >>> df = pl.DataFrame({"model_a": ["x", "y"] * 50, "model_b": ["y", "x"] * 50, "winner": ["model_a"] * 100})
    >>> ew.elo(ew.battles(df), n_permutations=50).table["model"].to_list()
    ['x', 'y']
    """
    from ..kernels.elo import elo_permutations
    from ._engine import seed_key

    level = check_level(ci)
    P = check_resamples(n_permutations, "n_permutations")
    seed = check_seed(seed)
    if not (k > 0 and scale > 0 and base > 1):
        raise ValueError(f"k={k}, scale={scale}, base={base}: need k > 0, scale > 0 and base > 1.")
    models = bf.models
    idx = {m: i for i, m in enumerate(models)}
    a = np.array([idx[m] for m in bf.data["model_a"]], dtype=np.int64)
    b = np.array([idx[m] for m in bf.data["model_b"]], dtype=np.int64)
    o = bf.data["outcome"].to_numpy().astype(np.float64)
    R = elo_permutations(a, b, o, len(models), float(k), float(scale), float(base), float(init), P, seed_key(seed))
    a2 = (1 - level) / 2
    mean = R.mean(0)
    rank_low, rank_high = rank_interval(competition_rank(R), level)
    table = pl.DataFrame({
        "model": models, "rating": mean, "sd": R.std(0, ddof=1) if P > 1 else np.zeros(len(models)),
        "ci_low": np.quantile(R, a2, axis=0), "ci_high": np.quantile(R, 1 - a2, axis=0),
        "rank": competition_rank(mean), "rank_low": rank_low, "rank_high": rank_high,
    }).sort(["rank", "model"])
    spec = {"analysis": "elo", "k": k, "scale": scale, "base": base, "init": init, "n_permutations": P,
            "seed": seed, "level": level, "versions": versions(),
            "description": f"Online Elo (K={k}) over {P:,} random orderings of {bf.spec['n_battles']:,} battles."}
    return Result("elo", table, spec, {"replicates": R})


def transitivity(bf) -> Result:
    """Circular triads of the majority relation (a beats b when its win rate over b exceeds 1/2).

    ``.table`` (one row): ``n_models, n_triads, circular_triads, share_intransitive, consistence``
    over triples whose three pairs met and were decided (no 1/2 win rate); ``consistence`` is
    Kendall & Babington Smith's zeta = 1 - d / d_max for complete tournaments (NaN otherwise).
    ``.triads`` lists the circular triads (``model_a`` beats ``model_b`` beats ``model_c`` beats
    ``model_a``).

    Examples
    --------
    >>> import polars as pl, evalwidgets as ew
    >>> df = pl.DataFrame({"model_a": ["x", "y", "z"], "model_b": ["y", "z", "x"], "winner": ["model_a"] * 3})
    >>> ew.transitivity(ew.battles(df)).table["circular_triads"].item()
    1
    """
    import itertools

    wm = win_matrix(bf).table
    models = bf.models
    M = len(models)
    idx = {m: i for i, m in enumerate(models)}
    rate = np.full((M, M), np.nan)
    for r in wm.iter_rows(named=True):
        rate[idx[r["model_a"]], idx[r["model_b"]]] = r["win_rate"]
    beats = rate > 0.5
    decided = np.isfinite(rate) & (rate != 0.5)
    n_tri = 0
    circ = []
    for i, j, l in itertools.combinations(range(M), 3):
        if not (decided[i, j] and decided[j, l] and decided[i, l]):
            continue
        n_tri += 1
        for x, y, z in ((i, j, l), (i, l, j)):
            if beats[x, y] and beats[y, z] and beats[z, x]:
                circ.append((models[x], models[y], models[z]))
    complete = bool(decided[~np.eye(M, dtype=bool)].all())
    d_max = (M ** 3 - M) / 24 if M % 2 else (M ** 3 - 4 * M) / 24
    table = pl.DataFrame({"n_models": [M], "n_triads": [n_tri], "circular_triads": [len(circ)],
                          "share_intransitive": [len(circ) / n_tri if n_tri else float("nan")],
                          "consistence": [1 - len(circ) / d_max if complete and d_max > 0 else float("nan")]})
    triads = pl.DataFrame(circ, schema=["model_a", "model_b", "model_c"], orient="row")
    return Result("transitivity", table, {"analysis": "transitivity", "versions": versions()}, {"triads": triads})
