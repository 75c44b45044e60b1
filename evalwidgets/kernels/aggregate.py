"""Stratified-bootstrap kernels for rliable-style aggregate metrics (mean, median, IQM, optimality gap).

Data layout (built by :mod:`evalwidgets.stats.aggregate`); ``U`` units grouped by stratum (task),
the units of stratum ``s`` being ``strata_ptr[s] .. strata_ptr[s+1] - 1``; ``M`` models:

``XP``, ``GP``, ``PF`` : (U, M) float64
    Score, ``min(score, gamma)`` and presence (1.0/0.0) of model ``m`` on unit ``u``; the first two
    are 0 where the model lacks the unit. Unit-major so the inner loop runs over models.
``xs``, ``order`` : (M, U) float64 / int64, ``n_present`` : (M,) int64
    ``order[m, :n_present[m]]`` lists the units model ``m`` has by ascending score and ``xs`` the
    scores in that order. The interquartile mean of a replicate is then a walk over the lowest and
    the highest quarter of this list with the replicate's draw counts as weights (a weighted-count
    trimmed mean), so no replicate is materialised or sorted.
``metrics`` : (K,) int64
    Codes: 0 = mean of per-task means, 1 = median of per-task means, 2 = IQM of all units pooled
    (``scipy.stats.trim_mean(x, 0.25)``: ``floor(n/4)`` values cut from each end), 3 = optimality gap
    ``gamma - mean of per-task means of min(x, gamma)``.

A replicate draws, in every stratum, as many units as the stratum has, with replacement, from the
counter-based stream ``stream_start(key, b)``, one 64-bit output per drawn unit (the engine's
kernels take two units per output, so the two do not share replicates). Every model sees the same draw (paired). A statistic is NaN
when a model has none of its units drawn in some task (per-task metrics) or at all (IQM).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .rng import bounded, splitmix64, stream_start

MEAN = 0
MEDIAN = 1
IQM = 2
OPTIMALITY_GAP = 3
_CHUNK = 16  # replicates per parallel task (scratch buffers are allocated once per chunk)


@njit(cache=True)
def _task_sums(XP, GP, PF, strata_ptr, key, b, draw, need_w, need_g, need_counts, counts, sx, sw, sg,
               acc_x, acc_w, acc_g):
    """Per-task sums of one resample, all models at once: sx[s, m] = sum of scores drawn in task s,
    sw = how many of them the model has, sg = sum of min(score, gamma).

    ``draw=False`` takes every unit once (the point estimate); otherwise replicate ``b`` draws
    ``n_s`` units with replacement in each task from stream ``stream_start(key, b)``. ``counts``
    gets how often each unit was drawn when ``need_counts`` (for the IQM). ``sw`` is ``n_s`` without
    missing cells (``need_w=False``)."""
    U, M = XP.shape
    S = strata_ptr.shape[0] - 1
    if need_counts:
        for u in range(U):
            counts[u] = 0.0
    state = stream_start(key, b) if draw else np.uint64(0)
    for s in range(S):
        u0 = strata_ptr[s]
        n_s = strata_ptr[s + 1] - u0
        for m in range(M):
            acc_x[m] = 0.0
            acc_w[m] = 0.0
            acc_g[m] = 0.0
        for j in range(n_s):
            if draw:
                state, z = splitmix64(state)
                u = u0 + bounded(z, n_s)
            else:
                u = u0 + j
            if need_counts:
                counts[u] += 1.0
            for m in range(M):
                acc_x[m] += XP[u, m]
            if need_w:
                for m in range(M):
                    acc_w[m] += PF[u, m]
            if need_g:
                for m in range(M):
                    acc_g[m] += GP[u, m]
        for m in range(M):
            sx[s, m] = acc_x[m]
            sw[s, m] = acc_w[m] if need_w else np.float64(n_s)
            sg[s, m] = acc_g[m]


@njit(cache=True)
def _metrics_from_sums(counts, sx, sw, sg, xs, order, n_present, metrics, gamma, buf, out):
    """Fill ``out[m, k]`` from one resample's per-task sums (and unit counts for the IQM)."""
    S, M = sx.shape
    K = metrics.shape[0]
    nan = np.nan
    for m in range(M):
        any_empty = False
        n_total = 0.0
        x_total = 0.0
        for s in range(S):
            if sw[s, m] == 0.0:
                any_empty = True
            n_total += sw[s, m]
            x_total += sx[s, m]
        for k in range(K):
            code = metrics[k]
            if code == IQM:
                out[m, k] = _weighted_iqm(counts, xs[m], order[m], n_present[m], n_total, x_total) \
                    if n_total > 0.0 else nan
            elif any_empty:
                out[m, k] = nan
            elif code == MEAN:
                acc = 0.0
                for s in range(S):
                    acc += sx[s, m] / sw[s, m]
                out[m, k] = acc / S
            elif code == OPTIMALITY_GAP:
                acc = 0.0
                for s in range(S):
                    acc += sg[s, m] / sw[s, m]
                out[m, k] = gamma - acc / S
            else:  # MEDIAN of the per-task means
                for s in range(S):
                    buf[s] = sx[s, m] / sw[s, m]
                out[m, k] = _median_of(buf)


@njit(cache=True)
def _weighted_iqm(counts, xs_m, order_m, n_m, n_total, x_total):
    """Trimmed mean (25% each end) of the multiset {xs_m[i] repeated counts[order_m[i]] times}.

    Sum of the middle = total - lowest floor(n/4) values - highest floor(n/4) values, each found by a
    walk from its end of the sorted list that stops once floor(n/4) draws are passed (about a quarter
    of the list each); the last unit of a walk is counted only in part.
    """
    n = np.int64(n_total + 0.5)
    lo = n // 4
    if lo == 0:
        return x_total / n
    cut = np.float64(lo)
    low = 0.0
    cum = 0.0
    x = 0.0
    for i in range(n_m):
        c = counts[order_m[i]]
        x = xs_m[i]
        cum += c
        low += c * x
        if cum >= cut:
            break
    low -= (cum - cut) * x
    high = 0.0
    cum = 0.0
    for i in range(n_m - 1, -1, -1):
        c = counts[order_m[i]]
        x = xs_m[i]
        cum += c
        high += c * x
        if cum >= cut:
            break
    high -= (cum - cut) * x
    return (x_total - low - high) / (n - 2 * lo)


@njit(cache=True)
def _median_of(buf):
    """Median of ``buf`` (no NaN), as ``np.median``.

    Up to 48 values (the usual number of tasks): the middle elements are found by their ranks,
    branch-free counting that beats sorting on random data. Larger: quickselect of the upper middle
    element (buffer reordered in place), then the largest element below it when the length is even.
    """
    S = buf.shape[0]
    h = S // 2
    if S <= 48:
        lower = 0.0
        upper = 0.0
        for i in range(S):
            xi = buf[i]
            r = 0
            for j in range(S):  # rank of element i, ties broken by position
                r += (buf[j] < xi) | ((buf[j] == xi) & (j < i))
            if r == h:
                upper = xi
            if r == h - 1:
                lower = xi
        return upper if S % 2 == 1 else 0.5 * (lower + upper)
    lo = 0
    hi = S - 1
    while hi > lo:
        mid = (lo + hi) // 2  # median-of-three pivot
        a, b, c = buf[lo], buf[mid], buf[hi]
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = a if a < c else (c if b < c else b)
        i = lo
        j = hi
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                t = buf[i]
                buf[i] = buf[j]
                buf[j] = t
                i += 1
                j -= 1
        if h <= j:
            hi = j
        elif h >= i:
            lo = i
        else:
            break
    upper = buf[h]
    if S % 2 == 1:
        return upper
    lower = buf[0]
    for k in range(1, h):
        if buf[k] > lower:
            lower = buf[k]
    return 0.5 * (lower + upper)


@njit(cache=True)
def _needs(PF, metrics):
    need_w = False
    U, M = PF.shape
    for u in range(U):
        for m in range(M):
            if PF[u, m] != 1.0:
                need_w = True
    need_g = False
    need_counts = False
    for k in range(metrics.shape[0]):
        if metrics[k] == OPTIMALITY_GAP:
            need_g = True
        elif metrics[k] == IQM:
            need_counts = True
    return need_w, need_g, need_counts


@njit(cache=True)
def aggregate_point(XP, GP, PF, xs, order, n_present, strata_ptr, metrics, gamma):
    """(M, K) point estimates: every unit counted once."""
    U, M = XP.shape
    S = strata_ptr.shape[0] - 1
    need_w, need_g, _ = _needs(PF, metrics)
    counts = np.ones(U, np.float64)
    sx = np.empty((S, M))
    sw = np.empty((S, M))
    sg = np.empty((S, M))
    _task_sums(XP, GP, PF, strata_ptr, np.uint64(0), 0, False, need_w, need_g, False, counts, sx, sw, sg,
               np.empty(M), np.empty(M), np.empty(M))
    out = np.empty((M, metrics.shape[0]), np.float64)
    _metrics_from_sums(counts, sx, sw, sg, xs, order, n_present, metrics, gamma, np.empty(S), out)
    return out


@njit(cache=True)
def _replicate_block(XP, GP, PF, xs, order, n_present, strata_ptr, metrics, gamma, key, b0, b1,
                     need_w, need_g, need_counts, out):
    """Replicates ``b0 .. b1-1`` into ``out`` (scratch allocated once per block)."""
    U, M = XP.shape
    S = strata_ptr.shape[0] - 1
    counts = np.empty(U, np.float64)
    sx = np.empty((S, M))
    sw = np.empty((S, M))
    sg = np.empty((S, M))
    acc_x = np.empty(M)
    acc_w = np.empty(M)
    acc_g = np.empty(M)
    buf = np.empty(S)
    for b in range(b0, b1):
        _task_sums(XP, GP, PF, strata_ptr, key, b, True, need_w, need_g, need_counts, counts, sx, sw, sg,
                   acc_x, acc_w, acc_g)
        _metrics_from_sums(counts, sx, sw, sg, xs, order, n_present, metrics, gamma, buf, out[b])


@njit(parallel=True, cache=True)
def aggregate_replicates(XP, GP, PF, xs, order, n_present, strata_ptr, metrics, gamma, key, B):
    """(B, M, K) bootstrap replicates of the aggregate metrics, blocks of replicates in parallel.

    Replicate ``b`` uses its own stream ``stream_start(key, b)``, so the numbers do not depend on
    the thread count or blocking. Memory is O(B*M*K + U*M): no B x U index or weight matrix.
    """
    M = XP.shape[1]
    K = metrics.shape[0]
    need_w, need_g, need_counts = _needs(PF, metrics)
    out = np.empty((B, M, K), np.float64)
    n_chunks = (B + _CHUNK - 1) // _CHUNK
    for ch in prange(n_chunks):
        _replicate_block(XP, GP, PF, xs, order, n_present, strata_ptr, metrics, gamma, key, ch * _CHUNK,
                         min(B, (ch + 1) * _CHUNK), need_w, need_g, need_counts, out)
    return out


@njit(cache=True)
def aggregate_replicates_serial(XP, GP, PF, xs, order, n_present, strata_ptr, metrics, gamma, key, B):
    """As :func:`aggregate_replicates` on one thread (identical numbers; no thread start-up cost for
    small problems)."""
    M = XP.shape[1]
    need_w, need_g, need_counts = _needs(PF, metrics)
    out = np.empty((B, M, metrics.shape[0]), np.float64)
    _replicate_block(XP, GP, PF, xs, order, n_present, strata_ptr, metrics, gamma, key, 0, B,
                     need_w, need_g, need_counts, out)
    return out
