"""Small analytic tests shared by compare, significance, leaderboard tiers and power."""
from __future__ import annotations

import numpy as np

__all__ = ["mcnemar_exact_p", "p_adjust"]


def mcnemar_exact_p(n01, n10):
    """Two-sided exact McNemar p-value from the discordant counts (vectorised).

    Under H0 the n = n01 + n10 discordant items split Binomial(n, 1/2);
    p = min(1, 2 * P[X <= min(n01, n10)]) (the conditional exact test, as
    ``statsmodels.stats.contingency_tables.mcnemar(exact=True)``). p = 1 when n = 0.
    """
    from scipy.stats import binom

    n01 = np.asarray(n01, dtype=np.int64)
    n10 = np.asarray(n10, dtype=np.int64)
    n = n01 + n10
    k = np.minimum(n01, n10)
    p = np.minimum(1.0, 2.0 * binom.cdf(k, np.maximum(n, 1), 0.5))
    return np.where(n == 0, 1.0, p)


def p_adjust(p, method: str = "holm"):
    """Adjusted p-values: ``"holm"`` (step-down), ``"bh"`` (Benjamini-Hochberg step-up), ``"bonferroni"``
    or ``"none"``. NaNs stay NaN and are not counted. Same definitions as
    ``statsmodels.stats.multitest.multipletests``."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.shape[0]
    if m == 0 or method == "none":
        out[ok] = q
        return out
    order = np.argsort(q, kind="stable")
    s = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * s)
    elif method == "bh":
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * s[::-1])[::-1]
    elif method == "bonferroni":
        adj = m * s
    else:
        raise ValueError(f"correction={method!r}: use 'holm', 'bh', 'bonferroni' or 'none'.")
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out
