"""Resampling kernels: replicate weights, one-sample gathers, replicate ranks.

The engine never materialises a B x N index matrix. Replicates are produced in blocks: a block of
per-row weights (counts of how often each row was drawn, or +-1 signs for a sign-flip test) is
filled here in parallel and then multiplied with the score matrix (BLAS) by the caller, so memory
is O(block * R + N * M) and the per-replicate sums come out B x M.

Resampling *units* are drawn, not rows: a unit is an item (iid), a cluster of items (cluster
bootstrap), and units are drawn within strata (stratified bootstrap). A unit maps to one or more
rows of the (possibly de-duplicated) score matrix through a CSR structure ``unit_ptr``/``unit_row``.

Draw scheme of the bootstrap kernels (``fill_count_weights*``, ``bootstrap_mean_1d``): replicate
``b`` reads the splitmix64 stream ``stream_start(key, b)``; stratum after stratum (the stream runs on
across strata), the ``n_s`` units of a stratum are drawn with replacement two at a time from one
64-bit output, the first from its high 32 bits and the second from its low 32 bits
(:func:`~evalwidgets.kernels.rng.bounded_pair`); when ``n_s`` is odd the last unit takes the high
half of a fresh output (its low half is discarded). A replicate therefore costs ``ceil(n_s / 2)``
outputs per stratum instead of ``n_s``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .rng import bounded, bounded_pair, splitmix64, stream_start, uniform01


@njit(parallel=True, cache=True)
def fill_count_weights(out, b_start, key, strata_ptr, unit_ptr, unit_row, unit_mult):
    """Bootstrap counts for replicates ``b_start .. b_start + out.shape[0]``.

    out : (nb, R) float64, overwritten; out[j, r] = how often row r was drawn in replicate b_start+j,
        times ``unit_mult`` of the unit (1 unless a unit maps to a de-duplicated row).
    strata_ptr : (S+1,) int64; units of stratum s are ``strata_ptr[s] .. strata_ptr[s+1]-1``; each
        stratum draws as many units as it has.
    unit_ptr, unit_row : CSR map unit -> rows.

    Units are drawn two per 64-bit output (see the module docstring).
    """
    nb, R = out.shape
    S = strata_ptr.shape[0] - 1
    for j in prange(nb):
        row = out[j]
        for r in range(R):
            row[r] = 0.0
        state = stream_start(key, b_start + j)
        for s in range(S):
            u0 = strata_ptr[s]
            n_s = strata_ptr[s + 1] - u0
            for _ in range(n_s >> 1):
                state, z = splitmix64(state)
                i0, i1 = bounded_pair(z, n_s)
                _add_unit(row, u0 + i0, unit_ptr, unit_row, unit_mult)
                _add_unit(row, u0 + i1, unit_ptr, unit_row, unit_mult)
            if n_s & 1:
                state, z = splitmix64(state)
                _add_unit(row, u0 + bounded(z, n_s), unit_ptr, unit_row, unit_mult)


@njit(inline="always", cache=True)
def _add_unit(row, u, unit_ptr, unit_row, unit_mult):
    """Add unit ``u``'s multiplicities to its rows."""
    for k in range(unit_ptr[u], unit_ptr[u + 1]):
        row[unit_row[k]] += unit_mult[k]


@njit(parallel=True, cache=True)
def fill_count_weights_simple(out, b_start, key, strata_ptr, unit_row):
    """As :func:`fill_count_weights` when every unit maps to exactly one row with multiplicity 1."""
    nb, R = out.shape
    S = strata_ptr.shape[0] - 1
    for j in prange(nb):
        row = out[j]
        row[:] = 0.0
        state = stream_start(key, b_start + j)
        for s in range(S):
            u0 = strata_ptr[s]
            n_s = strata_ptr[s + 1] - u0
            for _ in range(n_s >> 1):
                state, z = splitmix64(state)
                i0, i1 = bounded_pair(z, n_s)
                row[unit_row[u0 + i0]] += 1.0
                row[unit_row[u0 + i1]] += 1.0
            if n_s & 1:
                state, z = splitmix64(state)
                row[unit_row[u0 + bounded(z, n_s)]] += 1.0


@njit(parallel=True, cache=True)
def fill_sign_weights(out, b_start, key, unit_ptr, unit_row, unit_mult):
    """Random sign flips (+1/-1 per unit, shared by all rows of the unit) for a paired permutation test.

    One 64-bit draw gives the signs of 64 consecutive units (bit u % 64). Rows shared by several
    units (de-duplicated rows) receive the sum of their units' signs.
    """
    nb, R = out.shape
    U = unit_ptr.shape[0] - 1
    for j in prange(nb):
        row = out[j]
        row[:] = 0.0
        state = stream_start(key, b_start + j)
        z = np.uint64(0)
        for u in range(U):
            bit = u & 63
            if bit == 0:
                state, z = splitmix64(state)
            sgn = 1.0 if ((z >> np.uint64(bit)) & np.uint64(1)) == np.uint64(1) else -1.0
            for k in range(unit_ptr[u], unit_ptr[u + 1]):
                row[unit_row[k]] += sgn * unit_mult[k]


@njit(parallel=True, cache=True)
def fill_sign_weights_simple(out, b_start, key, unit_row):
    """As :func:`fill_sign_weights` when every unit maps to exactly one row with multiplicity 1."""
    nb, R = out.shape
    U = unit_row.shape[0]
    for j in prange(nb):
        row = out[j]
        state = stream_start(key, b_start + j)
        z = np.uint64(0)
        for u in range(U):
            bit = u & 63
            if bit == 0:
                state, z = splitmix64(state)
            row[unit_row[u]] = 1.0 if ((z >> np.uint64(bit)) & np.uint64(1)) == np.uint64(1) else -1.0


@njit(parallel=True, cache=True)
def fill_exp_weights(out, b_start, key, unit_ptr, unit_row, unit_mult):
    """Bayesian-bootstrap weights: an Exp(1) draw per unit, shared by the unit's rows."""
    nb, R = out.shape
    U = unit_ptr.shape[0] - 1
    for j in prange(nb):
        row = out[j]
        row[:] = 0.0
        state = stream_start(key, b_start + j)
        for u in range(U):
            state, z = splitmix64(state)
            e = -np.log(1.0 - uniform01(z))
            for k in range(unit_ptr[u], unit_ptr[u + 1]):
                row[unit_row[k]] += e * unit_mult[k]


@njit(parallel=True, cache=True)
def bootstrap_mean_1d(x, B, key):
    """Replicate means of one complete, unstratified sample ``x`` (iid bootstrap), as a fast gather.

    Uses the same draws as :func:`fill_count_weights` with one stratum of ``len(x)`` units, so a
    single model gets bit-for-bit the replicates it would get inside a leaderboard (up to float
    summation order): two outputs give four indices per unrolled step (high, low, high, low), the
    tail takes one more pair and, for odd ``n``, the high half of a last output.
    """
    n = x.shape[0]
    out = np.empty(B, np.float64)
    for b in prange(B):
        state = stream_start(key, b)
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        k = 0
        while k + 4 <= n:
            state, z = splitmix64(state)
            i0, i1 = bounded_pair(z, n)
            state, z = splitmix64(state)
            i2, i3 = bounded_pair(z, n)
            a0 += x[i0]
            a1 += x[i1]
            a2 += x[i2]
            a3 += x[i3]
            k += 4
        if k + 2 <= n:
            state, z = splitmix64(state)
            i0, i1 = bounded_pair(z, n)
            a0 += x[i0]
            a1 += x[i1]
            k += 2
        if k < n:
            state, z = splitmix64(state)
            a2 += x[bounded(z, n)]
        out[b] = (a0 + a1 + a2 + a3) / n
    return out


@njit(parallel=True, cache=True)
def replicate_ranks(values, higher_is_better):
    """Competition ranks (1 = best, ties share the best rank) of each replicate row.

    values : (B, M) float64 (NaN ranks last). Returns ranks (B, M) int32 and p_best (M,) float64,
    where a tie for first place splits the replicate's credit equally.
    """
    B, M = values.shape
    ranks = np.empty((B, M), np.int32)
    best = np.zeros((B, M), np.float64)
    for b in prange(B):
        v = values[b].copy()
        if higher_is_better:
            for m in range(M):
                v[m] = -v[m] if v[m] == v[m] else np.inf
        else:
            for m in range(M):
                if v[m] != v[m]:
                    v[m] = np.inf
        if M <= 64:  # rank = 1 + #strictly better: O(M^2) without allocation beats a sort here
            for m in range(M):
                r = 1
                vm = v[m]
                for k in range(M):
                    if v[k] < vm:
                        r += 1
                ranks[b, m] = r
        else:
            order = np.argsort(v, kind="mergesort")
            r = 1
            for p in range(M):
                m = order[p]
                if p > 0 and v[m] != v[order[p - 1]]:
                    r = p + 1
                ranks[b, m] = r
        n_first = 0
        for m in range(M):
            if ranks[b, m] == 1:
                n_first += 1
        for m in range(M):
            if ranks[b, m] == 1:
                best[b, m] = 1.0 / n_first
    p_best = np.zeros(M, np.float64)
    for m in range(M):
        acc = 0.0
        for b in range(B):
            acc += best[b, m]
        p_best[m] = acc / B
    return ranks, p_best


@njit(cache=True)
def rank_histogram(values, higher_is_better):
    """(M, M) share of replicates in which model m holds rank r+1, ties split evenly over the tied
    positions (so every row and every column sums to 1). values: (B, M), NaN ranks last."""
    B, M = values.shape
    hist = np.zeros((M, M), np.float64)
    v = np.empty(M, np.float64)
    for b in range(B):
        for m in range(M):
            x = values[b, m]
            if x != x:
                v[m] = np.inf
            else:
                v[m] = -x if higher_is_better else x
        for m in range(M):
            better = 0
            tied = 0
            for k in range(M):
                if v[k] < v[m]:
                    better += 1
                elif v[k] == v[m]:
                    tied += 1
            w = 1.0 / tied
            for r in range(better, better + tied):
                hist[m, r] += w
    for m in range(M):
        for r in range(M):
            hist[m, r] /= B
    return hist


@njit(parallel=True, cache=True)
def kendall_tau_b(reference, values):
    """Kendall tau-b between ``reference`` (M,) and each row of ``values`` (B, M); NaN where a side
    is constant."""
    B, M = values.shape
    out = np.empty(B, np.float64)
    for b in prange(B):
        conc = 0.0
        disc = 0.0
        tie_x = 0.0
        tie_y = 0.0
        for i in range(M):
            for j in range(i + 1, M):
                dx = reference[i] - reference[j]
                dy = values[b, i] - values[b, j]
                if dx == 0 and dy == 0:
                    continue
                if dx == 0:
                    tie_x += 1.0
                elif dy == 0:
                    tie_y += 1.0
                elif (dx > 0) == (dy > 0):
                    conc += 1.0
                else:
                    disc += 1.0
        den = np.sqrt((conc + disc + tie_x) * (conc + disc + tie_y))
        out[b] = (conc - disc) / den if den > 0 else np.nan
    return out
