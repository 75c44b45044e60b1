"""Confidence intervals for means: binomial (Wilson, Jeffreys, Clopper-Pearson), CLT, Student t,
and bootstrap (percentile, basic, BCa) from the shared replicate tensor; plus the ``auto`` rule.

The ``auto`` rule (Bowyer et al. 2025, "Don't use the CLT in LLM evals with fewer than a few
hundred datapoints"; Agarwal et al. 2021, rliable):

* binary scores, one score per item, no clusters, and (n < 500 or p-hat at 0 or 1) -> Wilson
  (Jeffreys is available; Wilson is the default because it never collapses to a point);
* a cluster role -> cluster bootstrap (BCa) with 30 or more clusters; below that, binary means get
  ``wilson_cluster`` (Wilson with the effective sample size n_eff = p(1-p) / se_CR^2, capped at n,
  and the t_{G-1} quantile instead of z: Korn & Graubard 1998) and other scores the cluster-robust t
  interval with G - 1 degrees of freedom (Cameron & Miller 2015); ``wilson_cluster`` also at p-hat 0
  or 1, where every bootstrap replicate is identical;
* continuous scores with n < 50 -> studentized bootstrap (bootstrap-t; Efron & Tibshirani 1993,
  ch. 12): the t interval and the percentile/BCa bootstrap both undercover skewed scores at such n
  (e.g. ~88% for Beta(0.5, 4.5) scores at n = 10, against ~95% for bootstrap-t), unless more than
  half of the items share one score value (heavily tied, e.g. means of a few 0/1 samples piled up
  at 1.0), where se* is often ~0 and Student t covers better;
* otherwise -> BCa bootstrap over items (stratified when asked).
"""
from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from ..errors import SmallSampleWarning

__all__ = ["METHODS", "binomial_interval", "clt_interval", "t_interval", "bootstrap_interval",
           "studentized_interval", "choose_method", "interval"]

Method = Literal["auto", "wilson", "jeffreys", "exact", "clt", "t", "percentile", "basic", "bca", "studentized",
                 "wilson_cluster"]
METHODS = ("auto", "wilson", "jeffreys", "exact", "clt", "t", "percentile", "basic", "bca", "studentized",
           "wilson_cluster")
BINOMIAL = ("wilson", "jeffreys", "exact")
BOOTSTRAP = ("percentile", "basic", "bca", "studentized")


def _z(level: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 2.0))


def binomial_interval(k, n, method: str, level: float):
    """Interval for a binomial proportion k/n (vectorised).

    wilson : Wilson (1927) score interval.
    jeffreys : equal-tailed Beta(k+1/2, n-k+1/2) interval, with the lower end 0 at k=0 and the upper
        end 1 at k=n (Brown, Cai & DasGupta 2001).
    exact : Clopper-Pearson (1934), as ``scipy.stats.binomtest(k, n).proportion_ci("exact")``.
    """
    from scipy.special import betaincinv

    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    a = 1.0 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            z = _z(level)
            p = k / n
            den = 1.0 + z * z / n
            centre = (p + z * z / (2 * n)) / den
            half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
            lo, hi = centre - half, centre + half
        elif method == "jeffreys":
            lo = np.where(k > 0, betaincinv(k + 0.5, n - k + 0.5, a / 2), 0.0)
            hi = np.where(k < n, betaincinv(k + 0.5, n - k + 0.5, 1 - a / 2), 1.0)
        elif method == "exact":
            lo = np.where(k > 0, betaincinv(k, n - k + 1, a / 2), 0.0)
            hi = np.where(k < n, betaincinv(k + 1, n - k, 1 - a / 2), 1.0)
        else:  # pragma: no cover - guarded by callers
            raise ValueError(method)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def clt_interval(mean, se, level: float):
    """Normal-approximation interval mean +- z * se."""
    z = _z(level)
    return mean - z * se, mean + z * se


def cluster_se(scores, present, clusters):
    """Cluster-robust standard error of a mean over clusters (CR1: sqrt(G/(G-1) sum_g r_g^2) / N with
    r_g = S_g - mean * n_g) and the number of clusters G, per column. scores/present: (N, M)."""
    x = np.where(present, scores, 0.0)
    p = present.astype(np.float64)
    codes = np.unique(clusters, return_inverse=True)[1].reshape(-1)
    G = int(codes.max()) + 1 if codes.shape[0] else 0
    Sg = np.zeros((G, x.shape[1]))
    ng = np.zeros((G, x.shape[1]))
    np.add.at(Sg, codes, x)
    np.add.at(ng, codes, p)
    n = p.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.sum(0) / n
        r = Sg - mean * ng
        g_eff = (ng > 0).sum(0)
        se = np.sqrt(g_eff / (g_eff - 1.0) * (r * r).sum(0)) / n
    return se, g_eff


def wilson_cluster_interval(mean, se_cr, n, n_clusters, level: float):
    """Design-effect Wilson interval for a clustered binary mean: Wilson's formula with the effective
    sample size n_eff = min(n, p(1-p) / se_cr^2) and the t_{G-1} quantile in place of z (the
    Korn & Graubard 1998 construction for survey proportions, with Wilson's score interval)."""
    from scipy.stats import t as student_t

    p = np.asarray(mean, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        neff = np.where((se_cr > 0) & (p > 0) & (p < 1), np.minimum(n, p * (1 - p) / se_cr ** 2), n)
    z = student_t.ppf(0.5 + level / 2.0, np.maximum(np.asarray(n_clusters) - 1, 1))
    den = 1.0 + z * z / neff
    centre = (p + z * z / (2 * neff)) / den
    half = z * np.sqrt(p * (1 - p) / neff + z * z / (4 * neff * neff)) / den
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def t_interval(mean, se, n, level: float):
    """Student t interval mean +- t_{n-1} * se (n = items, or clusters with a cluster-robust se)."""
    from scipy.stats import t as student_t

    q = student_t.ppf(0.5 + level / 2.0, np.maximum(np.asarray(n) - 1, 1))
    return mean - q * se, mean + q * se


def bootstrap_interval(theta_hat, reps, method: str, level: float, jack=None):
    """Percentile, basic or BCa interval per column of ``reps`` (B, M).

    BCa follows Efron (1987): z0 = Phi^-1(share of replicates below theta_hat, ties counted half),
    acceleration from the jackknife values ``jack`` (U, M): a = sum(d^3) / (6 sum(d^2)^1.5) with
    d = mean(jack) - jack. Degenerate cases (all replicates equal, or a not finite) fall back to
    the percentile interval.
    """
    from scipy.special import ndtr, ndtri

    theta_hat = np.asarray(theta_hat, dtype=np.float64)
    a2 = (1.0 - level) / 2.0
    reps = np.asarray(reps, dtype=np.float64)
    M = reps.shape[1]
    finite = np.isfinite(reps)
    nf = finite.sum(0)
    # NaN sorts last: column m's values are S[:nf[m], m]; sorting the transposed (contiguous) rows is
    # several times faster than a strided axis-0 sort
    S = np.sort(np.where(finite, reps, np.nan).T, axis=1).T
    cols = np.arange(M)

    def quantile(q):  # per-column linear-interpolation quantile (numpy's default), q: (M,)
        pos = np.clip(q, 0.0, 1.0) * np.maximum(nf - 1, 0)
        i0 = np.floor(pos).astype(np.int64)
        i1 = np.minimum(i0 + 1, np.maximum(nf - 1, 0))
        f = pos - i0
        a, b = S[i0, cols], S[i1, cols]
        return a + (b - a) * f

    ql = quantile(np.full(M, a2))
    qh = quantile(np.full(M, 1 - a2))
    if method == "percentile":
        lo, hi = ql, qh
    elif method == "basic":
        lo, hi = 2 * theta_hat - qh, 2 * theta_hat - ql
    elif method == "bca":
        with np.errstate(invalid="ignore", divide="ignore"):
            below = ((np.where(finite, reps < theta_hat, False).sum(0)
                      + 0.5 * np.where(finite, reps == theta_hat, False).sum(0)) / nf)
            if jack is not None:
                jk = np.asarray(jack, dtype=np.float64)
                if np.isfinite(jk).all():
                    d = jk.mean(axis=0) - jk
                else:
                    jk = np.where(np.isfinite(jk), jk, np.nan)
                    d = np.nanmean(jk, axis=0) - jk
                    d = np.where(np.isfinite(d), d, 0.0)
                d2 = d * d
                den = 6.0 * d2.sum(axis=0) ** 1.5
                acc = np.where(den > 0, (d2 * d).sum(axis=0) / den, np.nan)
            else:
                acc = np.full(M, np.nan)
            spread = S[np.maximum(nf - 1, 0), cols] - S[0, cols]
            ok = (below > 0) & (below < 1) & np.isfinite(acc) & (spread > 0)
            z0 = ndtri(np.where(ok, below, 0.5))
            qs = []
            for alpha in (a2, 1 - a2):
                za = ndtri(alpha)
                qs.append(ndtr(z0 + (z0 + za) / (1 - acc * (z0 + za))))
        lo = np.where(ok, quantile(np.where(ok, qs[0], a2)), ql)
        hi = np.where(ok, quantile(np.where(ok, qs[1], 1 - a2)), qh)
    else:  # pragma: no cover
        raise ValueError(method)
    bad = (nf == 0) | ~np.isfinite(theta_hat)
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    return lo, hi


def studentized_interval(mean, se, rep_mean, rep_se, level: float):
    """Bootstrap-t interval per column: t* = (mean* - mean) / se*, and
    [mean - q(1 - a/2) * se, mean - q(a/2) * se] with q the quantiles of t* (replicates whose se* is 0
    or undefined are dropped, as in Efron & Tibshirani 1993, ch. 12)."""
    mean = np.asarray(mean, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    a2 = (1.0 - level) / 2.0
    M = rep_mean.shape[1]
    lo = np.full(M, np.nan)
    hi = np.full(M, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstar = (rep_mean - mean[None, :]) / rep_se
    for m in range(M):
        t = tstar[:, m]
        t = t[np.isfinite(t)]
        if t.shape[0] == 0 or not np.isfinite(se[m]):
            continue
        if se[m] == 0:
            lo[m] = hi[m] = mean[m]
            continue
        ql, qh = np.quantile(t, [a2, 1 - a2])
        lo[m], hi[m] = mean[m] - qh * se[m], mean[m] - ql * se[m]
    return lo, hi


def choose_method(*, binary: bool, n: int, mean: float, clustered: bool, nested: bool,
                  tie_share: float = 0.0, n_clusters: int = 0) -> str:
    """The ``auto`` rule (module docstring)."""
    at_edge = binary and (mean <= 0.0 or mean >= 1.0)
    if binary and not nested and (not clustered) and (n < 500 or at_edge):
        return "wilson"
    if clustered:
        # the cluster bootstrap undercovers with few clusters (~90% at 10). Below 30 clusters: binary
        # means get the design-effect Wilson interval (effective n from the cluster-robust variance,
        # t_{G-1} quantile; Korn & Graubard 1998), others the cluster-robust t with G - 1 df
        # (Cameron & Miller 2015)
        if binary and (n_clusters < 30 or at_edge):
            return "wilson_cluster"
        return "t" if n_clusters < 30 else "bca"
    if not binary and n < 50:
        # bootstrap-t needs a usable se* in most replicates; when most items share one value (e.g.
        # means of a few 0/1 samples piled up at 1.0), se* is often ~0 and t* explodes: use t there
        return "studentized" if tie_share <= 0.5 else "t"
    if binary and at_edge:
        return "wilson"
    return "bca"


def validate_method(method: str, *, binary_ok: bool, n_resamples: int) -> None:
    from ..errors import did_you_mean

    if method not in METHODS:
        raise ValueError(f"method={method!r} is not a known interval method.{did_you_mean(method, METHODS)} "
                         f"Choose one of {list(METHODS)}.")
    if method in BINOMIAL and not binary_ok:
        raise ValueError(f"method={method!r} needs binary (0/1) scores with one score per item and no clusters; "
                         "these scores are not. Fix: method='auto' (bootstrap) or method='bca'.")
    if method in BOOTSTRAP + ("auto",) and (not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1):
        raise ValueError(f"n_resamples must be a positive int, got {n_resamples!r}.")


def warn_clt(n_min: int, method: str) -> None:
    if method == "clt" and n_min < 100:
        warnings.warn(
            f"method='clt' with n={n_min} items: the normal approximation undercovers below a few hundred "
            "items (Bowyer et al. 2025). Use method='auto' (Wilson/Jeffreys for binary, BCa otherwise).",
            SmallSampleWarning, stacklevel=3)


def interval(scores, *, ci: float = 0.95, method: Method = "auto", n_resamples: int = 10_000, seed: int = 0):
    """Interval for the mean of one sample of per-item scores (convenience for ``leaderboard``).

    Examples
    --------
    >>> import evalwidgets as ew
    >>> r = ew.interval([1, 1, 0, 1, 0, 1, 1, 1, 1, 0], method="wilson")
    >>> r.table.select("score", "method").row(0)
    (0.7, 'wilson')
    >>> round(r.table["ci_low"][0], 4), round(r.table["ci_high"][0], 4)
    (0.3968, 0.8922)
    """
    import polars as pl

    from ..frame import from_frame
    from .ranking import leaderboard

    x = np.asarray(scores, dtype=np.float64).ravel()
    rf = from_frame(pl.DataFrame({"model": ["x"] * x.shape[0], "item": np.arange(x.shape[0]), "score": x}))
    lb = leaderboard(rf, ci=ci, method=method, n_resamples=n_resamples, seed=seed)
    return lb
