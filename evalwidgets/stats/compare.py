"""Paired comparisons: one pair (``compare``) and all pairs (``significance``).

Both use the items the two models share, the engine's paired replicates (the same draw as
``leaderboard`` with the same seed), exact McNemar for binary scores and a paired sign-flip
permutation test otherwise.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl

from . import _engine as eng
from ._tests import p_adjust
from ._validate import check_level, check_model, check_resamples, check_rf, check_seed, check_stratify
from .intervals import bootstrap_interval
from .ranking import PairTester
from .results import Result, versions

__all__ = ["compare", "significance"]


def _pair_intervals(mat, design, pairs, B, seed, level, method, observed=None):
    deltas = np.empty(pairs.shape[0])
    lo = np.empty(pairs.shape[0])
    hi = np.empty(pairs.shape[0])
    obs = (observed or eng.PairObserved(mat)).get(pairs)
    deltas[:] = obs["delta"]
    for sl, num, den in eng.pair_sums(mat, design, pairs, B, seed, mode="bootstrap"):
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = num / den
        jack = None
        if method == "bca":
            jack = _pair_jackknife(mat, design, pairs[sl])
        lo[sl], hi[sl] = bootstrap_interval(deltas[sl], reps, method, level, jack)
    return deltas, lo, hi, obs


def _pair_jackknife(mat, design, pairs):
    out = np.empty((design.n_units, pairs.shape[0]))
    for j, (a, b) in enumerate(pairs):
        c = mat.present[:, a] & mat.present[:, b]
        d = np.where(c, mat.scores[:, a] - mat.scores[:, b], 0.0)
        du = np.bincount(design.unit_of_item, weights=d, minlength=design.n_units)
        cu = np.bincount(design.unit_of_item, weights=c.astype(float), minlength=design.n_units)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = (d.sum() - du) / (c.sum() - cu)
    return out


def _bayes_p_better(mat, design, pairs, obs, B, seed, prior):
    """P(A > B): binary -> Beta posterior of the discordant split n10 : n01 (Dirichlet(prior) on the
    four cells of the paired 2x2 table, so P = P(Beta(n10+prior, n01+prior) > 1/2)); continuous ->
    Bayesian bootstrap (Rubin 1981) of the mean paired difference."""
    from scipy.special import betainc

    if mat.binary and mat.clusters is None:
        n10 = obs["n10"].astype(float)
        n01 = obs["n01"].astype(float)
        return 1.0 - betainc(n10 + prior, n01 + prior, 0.5), f"Beta posterior of discordant pairs (prior {prior})"
    out = np.empty(pairs.shape[0])
    for sl, num, den in eng.pair_sums(mat, design, pairs, B, seed, mode="bayes", stream=2):
        with np.errstate(invalid="ignore", divide="ignore"):
            d = num / den
        out[sl] = (d > 0).mean(0) + 0.5 * (d == 0).mean(0)
    return out, "Bayesian bootstrap (Rubin 1981)"


def compare(rf, a: str, b: str, *, ci: float = 0.95, method: Literal["bca", "percentile", "basic"] = "bca",
            n_resamples: int = 10_000, seed: int = 0, stratify: str | None = None, prior: float = 0.5) -> Result:
    """Paired comparison of models ``a`` and ``b`` on the items both have.

    Returns
    -------
    Result
        One-row ``.table``: ``model_a, model_b, n_items, score_a, score_b, delta, ci_low, ci_high,
        p_value, test, p_a_better``. ``delta = score_a - score_b`` over the shared items; its
        interval is the paired bootstrap (BCa by default; the same item draws as ``leaderboard``);
        ``p_value`` is two-sided: exact McNemar for binary scores (conditional binomial test on
        the discordant items), else the paired sign-flip permutation test with ``n_resamples``
        random sign vectors (clusters flip together); ``p_a_better`` is a Bayesian P(A > B)
        (binary: Beta(n10 + prior, n01 + prior) > 1/2; else Bayesian bootstrap). ``.table2x2``
        holds the paired 2x2 table for binary scores.

    Examples
    --------
    >>> import evalwidgets as ew
    >>> rf = ew.datasets.simulate_binary(n_models=2, n_items=400, seed=5)
    >>> a, b = rf.models
    >>> r = ew.compare(rf, a, b, n_resamples=2000)
    >>> r.table.columns
    ['model_a', 'model_b', 'n_items', 'score_a', 'score_b', 'delta', 'ci_low', 'ci_high', 'p_value', 'test', 'p_a_better']
    >>> r.table["test"][0]
    'mcnemar-exact'

    References
    ----------
    McNemar (1947); Dror et al. (2018), "The Hitchhiker's Guide to Testing Statistical Significance
    in NLP"; Rubin (1981), "The Bayesian Bootstrap".
    """
    check_rf(rf, "compare", min_models=2)
    check_model(rf, a, "a")
    check_model(rf, b, "b")
    if a == b:
        raise ValueError(f"compare() needs two different models; got a=b={a!r}.")
    if method not in ("bca", "percentile", "basic"):
        raise ValueError(f"method={method!r}: use 'bca', 'percentile' or 'basic'.")
    level = check_level(ci)
    B = check_resamples(n_resamples)
    seed = check_seed(seed)
    strat = check_stratify(rf, stratify)
    mat = rf.matrix()
    ia, ib = mat.models.index(a), mat.models.index(b)
    pairs = np.array([[ia, ib]])
    observed = eng.PairObserved(mat)
    obs = observed.get(pairs)
    if obs["n"][0] == 0:
        from ..errors import InsufficientDataError

        raise InsufficientDataError(f"models {a!r} and {b!r} share no items; a paired comparison needs shared items.")
    design = eng.make_design(mat, stratify=strat)
    delta, lo, hi, _ = _pair_intervals(mat, design, pairs, B, seed, level, method, observed)
    tester = PairTester(mat, B, seed, observed)
    p, test = tester.pvalues(pairs), tester.test
    pb, bayes = _bayes_p_better(mat, design, pairs, obs, B, seed, prior)
    n_c, sa, sb = int(obs["n"][0]), float(obs["score_a"][0]), float(obs["score_b"][0])
    table = pl.DataFrame({
        "model_a": [a], "model_b": [b], "n_items": [n_c], "score_a": [sa], "score_b": [sb],
        "delta": [float(delta[0])], "ci_low": [float(lo[0])], "ci_high": [float(hi[0])],
        "p_value": [float(p[0])], "test": [test], "p_a_better": [float(pb[0])],
    })
    extras = {}
    if mat.binary:
        c = mat.present[:, ia] & mat.present[:, ib]
        xa, xb = mat.scores[c, ia], mat.scores[c, ib]
        extras["table2x2"] = pl.DataFrame({
            "a_correct": [True, True, False, False], "b_correct": [True, False, True, False],
            "count": [int(((xa == 1) & (xb == 1)).sum()), int(obs["n10"][0]), int(obs["n01"][0]),
                      int(((xa == 0) & (xb == 0)).sum())]})
    spec = {"analysis": "compare", "method": method, "level": level, "n_resamples": B, "seed": seed,
            "resampling": design.scheme, "test": test, "bayes": bayes, "versions": versions(),
            "excluded_rows": rf.spec["excluded_rows"],
            "items_not_shared": int(max(mat.present[:, ia].sum(), mat.present[:, ib].sum()) - n_c),
            "description": (f"Paired difference over {n_c:,} shared items; {level:.0%} {method} interval from "
                            f"{B:,} {design.scheme} bootstrap replicates (seed={seed}); {test} test; "
                            f"P(A>B) by {bayes}.")}
    return Result("compare", table, spec, extras)


def significance(rf, *, correction: Literal["holm", "bh", "bonferroni", "none"] = "holm", ci: float = 0.95,
                 alpha: float = 0.05, method: Literal["percentile", "bca", "basic"] = "percentile",
                 n_resamples: int = 10_000, seed: int = 0, stratify: str | None = None) -> Result:
    """All pairwise paired comparisons, with multiplicity-corrected p-values.

    Returns
    -------
    Result
        ``.table`` with one row per unordered pair (``model_a`` ranked above ``model_b`` by mean):
        ``model_a, model_b, delta, ci_low, ci_high, p_value, p_adjusted, significant``. Intervals
        are paired bootstrap intervals (percentile by default; uncorrected) over shared items from
        one replicate tensor; p-values are those of :func:`compare` (exact McNemar / sign-flip
        permutation), adjusted by ``correction`` (Holm 1979 or Benjamini-Hochberg 1995);
        ``significant`` = ``p_adjusted < alpha``; a last column ``n_items`` gives the number of
        shared items of each pair.

    Examples
    --------
    >>> import evalwidgets as ew
    >>> rf = ew.datasets.simulate_binary(n_models=4, n_items=300, seed=2)
    >>> s = ew.significance(rf, n_resamples=1000)
    >>> s.table.height, s.table.columns[5:8]
    (6, ['p_value', 'p_adjusted', 'significant'])
    """
    check_rf(rf, "significance", min_models=2)
    level = check_level(ci)
    B = check_resamples(n_resamples)
    seed = check_seed(seed)
    strat = check_stratify(rf, stratify)
    if method not in ("bca", "percentile", "basic"):
        raise ValueError(f"method={method!r}: use 'percentile', 'bca' or 'basic'.")
    if correction not in ("holm", "bh", "bonferroni", "none"):
        raise ValueError(f"correction={correction!r}: use 'holm', 'bh', 'bonferroni' or 'none'.")
    mat = rf.matrix()
    x = np.where(mat.present, mat.scores, 0.0)
    mean = x.sum(0) / mat.present.sum(0)
    order = np.argsort(-mean, kind="stable")
    pairs = np.array([[order[i], order[j]] for i in range(len(order)) for j in range(i + 1, len(order))])
    design = eng.make_design(mat, stratify=strat)
    observed = eng.PairObserved(mat)
    delta, lo, hi, obs = _pair_intervals(mat, design, pairs, B, seed, level, method, observed)
    tester = PairTester(mat, B, seed, observed)
    p, test = tester.pvalues(pairs), tester.test
    padj = p_adjust(p, correction)
    table = pl.DataFrame({
        "model_a": [mat.models[i] for i in pairs[:, 0]],
        "model_b": [mat.models[j] for j in pairs[:, 1]],
        "delta": delta, "ci_low": lo, "ci_high": hi, "p_value": p, "p_adjusted": padj,
        "significant": padj < alpha,
        "n_items": obs["n"].astype(np.int64),
    })
    spec = {"analysis": "significance", "method": method, "level": level, "n_resamples": B, "seed": seed,
            "test": test, "correction": correction, "alpha": alpha, "resampling": design.scheme,
            "versions": versions(), "excluded_rows": rf.spec["excluded_rows"],
            "description": (f"All {pairs.shape[0]:,} pairs on shared items; {test} p-values, {correction} "
                            f"correction at alpha={alpha}; {level:.0%} {method} paired bootstrap intervals "
                            f"({B:,} replicates, seed={seed}).")}
    return Result("significance", table, spec)
