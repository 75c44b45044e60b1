"""Online Elo over random orderings of the battles (numba; arrays in, arrays out)."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .rng import bounded, splitmix64, stream_start


@njit(parallel=True, cache=True)
def elo_permutations(a, b, outcome, n_models, k, scale, base, init, n_perm, key):
    """Final online-Elo ratings for ``n_perm`` random orderings (Fisher-Yates with one stream per
    ordering). outcome: 1 = a wins, 0 = b wins, 0.5 = tie. Returns (n_perm, n_models)."""
    n = a.shape[0]
    out = np.empty((n_perm, n_models), np.float64)
    lb = np.log(base)
    for p in prange(n_perm):
        order = np.arange(n)
        state = stream_start(key, p)
        for i in range(n - 1, 0, -1):
            state, z = splitmix64(state)
            j = bounded(z, i + 1)
            t = order[i]
            order[i] = order[j]
            order[j] = t
        r = np.full(n_models, init)
        for q in range(n):
            i = order[q]
            ea = 1.0 / (1.0 + np.exp(lb * (r[b[i]] - r[a[i]]) / scale))
            d = k * (outcome[i] - ea)
            r[a[i]] += d
            r[b[i]] -= d
        out[p] = r
    return out
