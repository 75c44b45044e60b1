"""The shared resampling engine: a ResultFrame's ScoreMatrix -> replicate sums (B x ...).

Python side of kernels/bootstrap.py. Builds the resampling *design* once (units = items or
clusters, drawn within strata; identical rows de-duplicated, which is the exact sufficient-
statistic shortcut for binary scores) and turns blocks of replicate weights into per-replicate
sums with one BLAS matrix product per block, so memory is O(block*R + N*M + B*M), never B x N.

Every model sees the same draw in a replicate (paired by construction), and the draw depends
only on (seed, design), never on the models or thread count: ``leaderboard`` and ``compare``
with the same seed resample identical items.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..frame import ScoreMatrix

__all__ = ["Design", "seed_key", "make_design", "replicate_sums", "replicate_means", "model_columns"]

# The engine alternates numba's OpenMP workers (weight fills) with OpenBLAS's threads (the products).
# GNU OpenMP workers busy-wait after each parallel region by default and starve the BLAS threads on
# small machines (measured on 2 cores: 50-model leaderboard 65 -> 52 ms, and up to 8x under load).
# Ask for passive waiting unless the user chose a policy; this must happen before numba first loads
# libgomp, i.e. before the first kernel runs, and only affects OpenMP runtimes loaded afterwards.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_BLOCK = 256
_BLOCK_BYTES = 32 * 2 ** 20  # weight block budget: few large BLAS calls, bounded memory


def _block_size(B: int, R: int) -> int:
    return int(max(1, min(B, max(_BLOCK, _BLOCK_BYTES // (8 * max(R, 1))))))


def seed_key(seed: int | None, stream: int = 0) -> np.uint64:
    """A 64-bit key from ``np.random.SeedSequence(seed)``; ``stream`` separates independent uses."""
    if seed is None:
        raise ValueError("seed=None is not allowed: pass an int so results are reproducible (e.g. seed=0).")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(stream),))
    return np.uint64(ss.generate_state(1, dtype=np.uint64)[0])


@dataclass(frozen=True)
class Design:
    """How replicates are drawn.

    rows : (R,) int64 index of the representative item of each de-duplicated row.
    strata_ptr : (S+1,) int64 unit ranges per stratum.
    unit_ptr, unit_row, unit_mult : CSR unit -> rows (with multiplicity).
    unit_of_item : (N,) int64, the unit each item belongs to (for the jackknife).
    n_units : int
    scheme : "iid" | "stratified" | "cluster" | "stratified-cluster"
    """

    rows: np.ndarray
    strata_ptr: np.ndarray
    unit_ptr: np.ndarray
    unit_row: np.ndarray
    unit_mult: np.ndarray
    unit_of_item: np.ndarray
    n_units: int
    scheme: str


def make_design(mat: ScoreMatrix, *, stratify: bool = False, cluster: bool = True,
                dedupe: bool = True) -> Design:
    """Build the resampling design of ``mat``.

    stratify : draw units within ``mat.strata`` (the ``task`` role).
    cluster : draw clusters (the ``cluster`` role) instead of items, when the role exists.
    dedupe : for binary scores, merge identical item rows (values and presence) into one weighted
        row: exact, and it reduces each replicate to counts over response patterns.
    """
    N = mat.n_items
    use_cluster = cluster and mat.clusters is not None
    use_strata = stratify and mat.strata is not None
    if stratify and mat.strata is None:
        raise ValueError("stratify needs a 'task' role: ew.from_frame(df, ..., task='task').")
    # de-duplicate rows
    M = mat.n_models
    # merging identical rows only pays when rows repeat: guaranteed when 2**M < N (few models);
    # with many models rows are nearly all distinct and the np.unique pass is wasted
    if dedupe and mat.binary and N > 1 and (M < 20 and 2 ** M < 4 * N):
        key = np.where(mat.present, mat.scores, -np.inf)
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inv = inv.reshape(-1).astype(np.int64)
        rows = first.astype(np.int64)
    else:
        inv = np.arange(N, dtype=np.int64)
        rows = np.arange(N, dtype=np.int64)
    # units
    if use_cluster:
        unit_raw = mat.clusters.astype(np.int64)
    else:
        unit_raw = np.arange(N, dtype=np.int64)
    _, unit_first, unit_code = np.unique(unit_raw, return_index=True, return_inverse=True)
    unit_code = unit_code.reshape(-1)
    U = unit_first.shape[0]
    if use_strata:
        unit_stratum = mat.strata[unit_first].astype(np.int64)
        if use_cluster:  # a cluster must sit inside one stratum
            st_of_item = mat.strata.astype(np.int64)
            if np.any(st_of_item != unit_stratum[unit_code]):
                from ..errors import SchemaError

                raise SchemaError("a cluster spans several tasks; stratified cluster resampling needs each "
                                  "cluster inside one task. Fix: stratify=None, or re-define clusters per task.")
    else:
        unit_stratum = np.zeros(U, np.int64)
    order = np.argsort(unit_stratum, kind="stable")  # new unit id = position in order
    new_id = np.empty(U, np.int64)
    new_id[order] = np.arange(U)
    unit_of_item = new_id[unit_code]
    counts = np.bincount(unit_stratum, minlength=int(unit_stratum.max()) + 1 if U else 1)
    counts = counts[counts > 0]
    strata_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # CSR unit -> rows with multiplicity
    pair = unit_of_item * (rows.shape[0] + 1) + inv[np.arange(N)]
    upair, mult = np.unique(pair, return_counts=True)
    u_of = upair // (rows.shape[0] + 1)
    r_of = upair % (rows.shape[0] + 1)
    unit_ptr = np.concatenate([[0], np.cumsum(np.bincount(u_of, minlength=U))]).astype(np.int64)
    scheme = {(False, False): "iid", (True, False): "stratified", (False, True): "cluster",
              (True, True): "stratified-cluster"}[(use_strata, use_cluster)]
    return Design(rows=rows, strata_ptr=strata_ptr, unit_ptr=unit_ptr, unit_row=r_of.astype(np.int64),
                  unit_mult=mult.astype(np.float64), unit_of_item=unit_of_item,
                  n_units=U, scheme=scheme)


def model_columns(mat: ScoreMatrix) -> np.ndarray:
    """(N, 2M) columns [score*present, present]: replicate sums of these give per-model means."""
    x = np.where(mat.present, mat.scores, 0.0)
    return np.ascontiguousarray(np.hstack([x, mat.present.astype(np.float64)]))


def replicate_sums(design: Design, item_columns: np.ndarray, n_resamples: int, seed: int, *,
                   mode: Literal["bootstrap", "signflip", "bayes"] = "bootstrap", stream: int = 0,
                   dtype=np.float64) -> np.ndarray:
    """Per-replicate weighted column sums, (B, C).

    item_columns : (N, C) float64, one row per item (the design maps items to rows).
    mode : ``"bootstrap"`` draws units with replacement (within strata); ``"signflip"`` multiplies
        each unit by a random sign (paired permutation test; strata are irrelevant there);
        ``"bayes"`` gives each unit an Exp(1) weight (Bayesian bootstrap, Rubin 1981; always float64).
    """
    from ..kernels.bootstrap import fill_count_weights, fill_count_weights_simple, fill_exp_weights

    if mode == "bayes":
        dtype = np.float64
    B = int(n_resamples)
    X = np.ascontiguousarray(item_columns[design.rows], dtype=dtype)
    R, C = X.shape
    key = seed_key(seed, stream)
    simple = design.unit_row.shape[0] == design.n_units and bool(np.all(design.unit_mult == 1.0))
    out = np.empty((B, C), np.float64)
    block = _block_size(B, R)
    W = np.empty((block, R), dtype)  # counts and +-1 signs are exact in float32
    out32 = np.empty((block, C), dtype)
    for b0 in range(0, B, block):
        nb = min(block, B - b0)
        Wb = W[:nb]
        if mode == "bootstrap" and simple:
            fill_count_weights_simple(Wb, b0, key, design.strata_ptr, design.unit_row)
        elif mode == "bootstrap":
            fill_count_weights(Wb, b0, key, design.strata_ptr, design.unit_ptr, design.unit_row, design.unit_mult)
        elif mode == "bayes":
            fill_exp_weights(Wb, b0, key, design.unit_ptr, design.unit_row, design.unit_mult)
        else:
            _signs(Wb, b0, key, design, simple)
        if dtype == np.float64:
            np.matmul(Wb, X, out=out[b0:b0 + nb])
        else:
            np.matmul(Wb, X, out=out32[:nb])
            out[b0:b0 + nb] = out32[:nb]
    return out


def _signs(Wb, b0, key, design, simple):
    from ..kernels.bootstrap import fill_sign_weights, fill_sign_weights_simple

    if simple and design.unit_row.shape[0] == Wb.shape[1]:
        fill_sign_weights_simple(Wb, b0, key, design.unit_row)
    else:
        fill_sign_weights(Wb, b0, key, design.unit_ptr, design.unit_row, design.unit_mult)


def replicate_means(mat: ScoreMatrix, design: Design, n_resamples: int, seed: int) -> np.ndarray:
    """(B, M) replicate means of every model over its own drawn items (ratio of sums).

    Models without missing cells share one denominator column (the replicate's total weight), so
    the product costs (M + 1 + #models with missing cells) columns. Sums run in float32: exact for
    binary scores and counts below 2**24; continuous scores are centred on each model's mean first.
    """
    M = mat.n_models
    if M == 1 and design.scheme == "iid" and bool(mat.present.all()) and design.rows.shape[0] == mat.n_items:
        from ..kernels.bootstrap import bootstrap_mean_1d

        x = np.ascontiguousarray(mat.scores[:, 0], dtype=np.float64)
        return bootstrap_mean_1d(x, int(n_resamples), seed_key(seed))[:, None]
    partial = np.flatnonzero(~mat.present.all(axis=0))
    counts_exact = float(design.unit_mult.max(initial=1.0)) * mat.n_items < 2 ** 24
    if mat.binary:
        # 0/1 scores and integer counts: float32 sums are exact below 2**24
        centre = np.zeros(M)
        dtype = np.float32 if counts_exact else np.float64
    else:
        # continuous scores: sum deviations from each model's mean in float32 (twice the BLAS
        # throughput); centring keeps the relative error of a replicate mean ~1e-7 of its spread,
        # far below Monte Carlo error, and the counts stay exact integers
        centre = np.nanmean(np.where(mat.present, mat.scores, np.nan), axis=0)
        centre = np.where(np.isfinite(centre), centre, 0.0)
        dtype = np.float32 if counts_exact else np.float64
    x = np.where(mat.present, mat.scores - centre, 0.0)
    cols = np.hstack([x, np.ones((mat.n_items, 1)), mat.present[:, partial].astype(np.float64)])
    sums = replicate_sums(design, cols, n_resamples, seed, dtype=dtype)
    den = np.repeat(sums[:, M:M + 1], M, axis=1)
    den[:, partial] = sums[:, M + 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return centre + sums[:, :M] / den


def jackknife_means(mat: ScoreMatrix, design: Design) -> np.ndarray:
    """(U, M) leave-one-unit-out means (NaN where a model has no items left)."""
    x = np.where(mat.present, mat.scores, 0.0)
    p = mat.present.astype(np.float64)
    U = design.n_units
    if U == mat.n_items:  # one item per unit: unit sums are the item rows themselves
        su = np.empty_like(x)
        pu = np.empty_like(p)
        su[design.unit_of_item] = x
        pu[design.unit_of_item] = p
    else:
        su = np.zeros((U, mat.n_models))
        pu = np.zeros((U, mat.n_models))
        np.add.at(su, design.unit_of_item, x)
        np.add.at(pu, design.unit_of_item, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x.sum(0) - su) / (p.sum(0) - pu)


# --------------------------------------------------------------------------------------------
# paired statistics over the items both models have


def presence_patterns(mat: ScoreMatrix) -> tuple[np.ndarray, np.ndarray]:
    """(pattern id per item (N,), presence matrix of each pattern (K, M) bool)."""
    if mat.present.all():
        return np.zeros(mat.n_items, np.int64), np.ones((1, mat.n_models), bool)
    packed = np.packbits(mat.present, axis=1)
    view = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inv = np.unique(view, return_index=True, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), mat.present[first]


class PairReplicates:
    """Per-replicate sums from which paired statistics over shared items follow.

    For any pair: num = sum w*(x_a - x_b) and den = sum w over the items both models have
    (w = bootstrap counts, random signs, or Bayesian-bootstrap Exp(1) weights).

    Two layouts, whichever needs fewer columns: per *presence pattern* (one pass gives every pair:
    K patterns x (M + 1) columns; K = 1 when no cell is missing), or per requested *pair* (two
    columns per pair). Ragged data with thousands of patterns therefore never blows up memory:
    it costs O(N * min(K(M+1), 2P)) for the columns and O(B * the same) for the sums.
    """

    def __init__(self, mat: ScoreMatrix, design: Design, n_resamples: int, seed: int, *,
                 mode: Literal["bootstrap", "signflip", "bayes"] = "bootstrap", stream: int = 0,
                 pairs: np.ndarray | None = None):
        pat, P = presence_patterns(mat)
        K, M = P.shape
        x = np.where(mat.present, mat.scores, 0.0)
        self.pairs = None if pairs is None else np.asarray(pairs, dtype=np.int64)
        need_den = mode != "signflip"
        if self.pairs is not None and (1 + need_den) * self.pairs.shape[0] < K * (M + 1):
            a, b = self.pairs[:, 0], self.pairs[:, 1]
            both = (mat.present[:, a] & mat.present[:, b]).astype(np.float64)
            cols = np.hstack([(x[:, a] - x[:, b]) * both, both] if need_den else [(x[:, a] - x[:, b]) * both])
            self.layout = "pairs"
        else:
            # float32 sums (twice the BLAS throughput): exact for binary scores and integer weights;
            # continuous scores are centred on each model's mean c, and iter_pairs adds back
            # (c_a - c_b) * den, so num stays sum w (x_a - x_b) to ~1e-7 relative precision
            if mat.binary:
                self.centre = np.zeros(M)
            else:
                c = np.nanmean(np.where(mat.present, mat.scores, np.nan), axis=0)
                self.centre = np.where(np.isfinite(c), c, 0.0)
            xc = np.where(mat.present, mat.scores - self.centre, 0.0)
            cols = np.zeros((mat.n_items, K * (M + 1)), dtype=np.float32)
            for k in range(K):
                sel = pat == k
                cols[sel, k * (M + 1): k * (M + 1) + M] = xc[sel]
                cols[sel, k * (M + 1) + M] = 1.0
            self.layout = "patterns"
            self.P = P
        exact = float(design.unit_mult.max(initial=1.0)) * mat.n_items < 2 ** 24
        dtype = np.float32 if self.layout == "patterns" and exact else np.float64
        S = replicate_sums(design, cols, n_resamples, seed, mode=mode, stream=stream, dtype=dtype)
        del cols
        if self.layout == "pairs":
            npairs = self.pairs.shape[0]
            self.num = S[:, :npairs]
            self.den = S[:, npairs:] if need_den else np.full_like(self.num, np.nan)
        else:
            S = S.reshape(S.shape[0], K, M + 1)
            self.Sx = S[:, :, :M]
            self.Sw = S[:, :, M]

    def iter_pairs(self, pairs: np.ndarray, chunk: int = 256):
        """Yield ``(slice, num, den)`` with (B, pairs in chunk) arrays."""
        pairs = np.asarray(pairs, dtype=np.int64)
        if self.layout == "pairs":
            if pairs.shape != self.pairs.shape or not np.array_equal(pairs, self.pairs):
                idx = self.pair_index(pairs)
                for c0 in range(0, pairs.shape[0], chunk):
                    sl = slice(c0, min(c0 + chunk, pairs.shape[0]))
                    yield sl, self.num[:, idx[sl]], self.den[:, idx[sl]]
                return
            for c0 in range(0, pairs.shape[0], chunk):
                sl = slice(c0, min(c0 + chunk, pairs.shape[0]))
                yield sl, self.num[:, sl], self.den[:, sl]
            return
        for c0 in range(0, pairs.shape[0], chunk):
            pr = pairs[c0:c0 + chunk]
            a, b = pr[:, 0], pr[:, 1]
            q = (self.P[:, a] & self.P[:, b]).astype(np.float64)  # (K, p)
            if q.shape[0] == 1:
                num = (self.Sx[:, 0, a] - self.Sx[:, 0, b]) * q[0]
            else:
                num = np.einsum("bkp,kp->bp", self.Sx[:, :, a] - self.Sx[:, :, b], q)
            den = self.Sw @ q
            num = num + (self.centre[a] - self.centre[b]) * den
            yield slice(c0, c0 + pr.shape[0]), num, den


    def pair_index(self, pairs: np.ndarray) -> np.ndarray:
        """Positions of ``pairs`` among the pairs this object was built for (same orientation)."""
        lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(self.pairs)}
        try:
            return np.array([lookup[(int(a), int(b))] for a, b in pairs], dtype=np.int64)
        except KeyError as exc:  # internal misuse, not a user error
            raise ValueError(f"PairReplicates was not built for pair {exc.args[0]}") from None


def pair_sums(mat: ScoreMatrix, design: Design, pairs: np.ndarray, n_resamples: int, seed: int, *,
              mode: Literal["bootstrap", "signflip", "bayes"] = "bootstrap", stream: int = 0, chunk: int = 256):
    """Shortcut: ``PairReplicates(..., pairs=pairs).iter_pairs(pairs)``."""
    reps = PairReplicates(mat, design, n_resamples, seed, mode=mode, stream=stream, pairs=pairs)
    yield from reps.iter_pairs(pairs, chunk)


class PairObserved:
    """Observed paired statistics over shared items: n (shared items), mean of a and of b over them,
    delta, t_obs (sum of differences) and, for binary scores, n10 (a right, b wrong) / n01.
    A few pairs are computed directly; many pairs by matrix products over all models (cached)."""

    def __init__(self, mat: ScoreMatrix):
        self.mat = mat
        self.binary = mat.binary
        self._full = None

    def _all(self):
        if self._full is None:
            mat = self.mat
            X = np.where(mat.present, mat.scores, 0.0)
            P = mat.present.astype(np.float64)
            n = np.rint(P.T @ P).astype(np.int64)
            sa = X.T @ P  # [a, b] = sum over shared items of x_a
            n10 = np.rint(X.T @ (P - X)).astype(np.int64) if mat.binary else None
            self._full = (n, sa, n10)
        return self._full

    def get(self, pairs: np.ndarray):
        pairs = np.asarray(pairs, dtype=np.int64)
        a, b = pairs[:, 0], pairs[:, 1]
        if pairs.shape[0] <= 8 and self._full is None:
            mat = self.mat
            both = mat.present[:, a] & mat.present[:, b]
            xa = np.where(both, mat.scores[:, a], 0.0)
            xb = np.where(both, mat.scores[:, b], 0.0)
            n = both.sum(0).astype(np.int64)
            sa, sb = xa.sum(0), xb.sum(0)
            if self.binary:
                n10 = (both & (xa > xb)).sum(0).astype(np.int64)
                n01 = (both & (xa < xb)).sum(0).astype(np.int64)
        else:
            N_, SA, N10 = self._all()
            n, sa, sb = N_[a, b], SA[a, b], SA[b, a]
            if self.binary:
                n10, n01 = N10[a, b], N10[b, a]
        with np.errstate(invalid="ignore", divide="ignore"):
            ma, mb = sa / n, sb / n
        out = {"n": n, "score_a": ma, "score_b": mb, "delta": ma - mb, "t_obs": sa - sb}
        if self.binary:
            out["n10"] = n10
            out["n01"] = n01
        return out


def replicate_moments(mat: ScoreMatrix, design: Design, n_resamples: int, seed: int,
                      models: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replicate means and standard errors (ddof=1) of ``models`` over their own drawn items, from the
    same draws as :func:`replicate_means` (for the studentized bootstrap)."""
    idx = np.asarray(models, dtype=np.int64)
    x = np.where(mat.present[:, idx], mat.scores[:, idx], 0.0)
    p = mat.present[:, idx].astype(np.float64)
    k = idx.shape[0]
    sums = replicate_sums(design, np.hstack([x, x * x, p]), n_resamples, seed)
    s1, s2, n = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = np.maximum(s2 - n * mean * mean, 0.0) / (n - 1.0)
        se = np.sqrt(var / n)
    return mean, se
