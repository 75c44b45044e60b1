"""The resampling kernels (``evalwidgets/kernels/bootstrap.py``) against their slow oracles.

Oracles live in ``tests/reference/oracles.py``: plain-Python reimplementations of the documented
splitmix64 streams, so the kernels' draws are compared bit for bit (weights are small integers or
sums of exactly representable floats; exponential weights go through ``log``, compared to 1 ulp).
Statistical checks (bootstrap SE of a mean, stream independence) use tolerances derived from the
Monte Carlo error of the number of replicates.

Every test here also passes with ``NUMBA_DISABLE_JIT=1`` (the kernels then run as plain Python);
:func:`test_module_passes_without_jit` runs this module once that way in a subprocess, with tiny
inputs (``SMALL``) so it stays quick.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import oracles  # noqa: E402

from evalwidgets.kernels import bootstrap as kb  # noqa: E402
from evalwidgets.kernels import rng as krng  # noqa: E402
from evalwidgets.stats._engine import make_design, seed_key  # noqa: E402

NO_JIT = bool(numba.config.DISABLE_JIT)
# Statistical checks use fewer replicates when the kernels run as plain Python.
B_STAT = 400 if NO_JIT else 20_000
KEY = seed_key(7)  # np.uint64: kernels must be called with a uint64 key
KEY2 = seed_key(8)


def _csr(units: list[list[tuple[int, float]]]):
    """unit_ptr, unit_row, unit_mult from a list of units, each a list of (row, multiplicity)."""
    ptr = np.zeros(len(units) + 1, np.int64)
    rows, mult = [], []
    for u, members in enumerate(units):
        ptr[u + 1] = ptr[u] + len(members)
        for r, m in members:
            rows.append(r)
            mult.append(m)
    return ptr, np.array(rows, np.int64), np.array(mult, np.float64)


# -- the random streams -----------------------------------------------------------------------
def test_oracle_splitmix64_matches_published_reference():
    # Rosetta Code "Pseudo-random numbers/Splitmix64" (Vigna's splitmix64.c), seed 1234567.
    want = [6457827717110365317, 3203168211198807973, 9817491932198370423,
            4593380528125082431, 16408922859458223821]
    state, got = 1234567, []
    for _ in range(5):
        state, z = oracles.splitmix64(state)
        got.append(z)
    assert got == want


def test_rng_primitives_match_oracle():
    # The kernel primitives must be called with uint64 scalars (a Python int < 2**63 would be
    # typed int64 at the call boundary), exactly as they are inside the kernels.
    state_k, state_o = np.uint64(1234567), 1234567
    for _ in range(5):
        state_k, zk = krng.splitmix64(np.uint64(state_k))
        state_o, zo = oracles.splitmix64(state_o)
        assert int(zk) == zo and int(np.uint64(state_k)) == state_o
    for key in (0, 1, 2 ** 63 + 5, 2 ** 64 - 1, int(KEY)):
        for b in (0, 1, 2, 1000):
            assert int(krng.stream_start(np.uint64(key), b)) == oracles.stream_start(key, b)
    for bits in (0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 63, 2 ** 64 - 1, 0x123456789ABCDEF0, 0xFFFFFFFF00000000):
        for n in (1, 2, 3, 7, 1000, 2 ** 31 + 11, 2 ** 32 - 1):
            assert int(krng.bounded(np.uint64(bits), n)) == oracles.bounded(bits, n)
            hi, lo = krng.bounded_pair(np.uint64(bits), n)
            assert (int(hi), int(lo)) == (oracles.bounded(bits, n), oracles.bounded_low(bits, n))
            assert 0 <= int(hi) < n and 0 <= int(lo) < n
        assert krng.uniform01(np.uint64(bits)) == oracles.uniform01(bits)
    assert 0.0 <= oracles.uniform01(2 ** 64 - 1) < 1.0


# -- weight kernels vs oracles ----------------------------------------------------------------
CASES_SIMPLE = {
    # name: (strata_ptr, unit_row)
    "one item": ([0, 1], [0]),
    "iid": ([0, 5], [0, 1, 2, 3, 4]),
    "iid permuted rows": ([0, 6], [5, 3, 1, 0, 2, 4]),
    "strata incl. single-unit strata": ([0, 1, 4, 5, 8], [0, 1, 2, 3, 4, 5, 6, 7]),
    "strata of odd and even sizes": ([0, 3, 5, 10, 11, 15], [14, 0, 13, 1, 12, 2, 11, 3, 10, 4, 9, 5, 8, 6, 7]),
}


@pytest.mark.parametrize("name", list(CASES_SIMPLE))
def test_fill_count_weights_simple_matches_oracle(name):
    strata_ptr, unit_row = (np.array(a, np.int64) for a in CASES_SIMPLE[name])
    R = int(unit_row.max()) + 1
    for b_start, nb in ((0, 9), (123, 4)):
        out = np.full((nb, R), -1.0)  # overwritten, not accumulated
        kb.fill_count_weights_simple(out, b_start, KEY, strata_ptr, unit_row)
        want = oracles.fill_count_weights_simple(nb, R, b_start, int(KEY), strata_ptr, unit_row)
        np.testing.assert_array_equal(out, want)
        # every stratum keeps its size in every replicate
        for s in range(strata_ptr.shape[0] - 1):
            rows = unit_row[strata_ptr[s]:strata_ptr[s + 1]]
            np.testing.assert_array_equal(out[:, rows].sum(1), strata_ptr[s + 1] - strata_ptr[s])


CASES_CSR = {
    # name: (strata_ptr, units as [(row, multiplicity), ...]) -- clusters of different sizes,
    # de-duplicated rows shared by several units (multiplicity > 1), strata with one unit.
    "one item": ([0, 1], [[(0, 1.0)]]),
    "clusters of sizes 1, 3, 2": ([0, 3], [[(0, 1.0)], [(1, 1.0), (2, 1.0), (3, 1.0)], [(4, 1.0), (5, 1.0)]]),
    "dedupe: shared rows with multiplicity": ([0, 4], [[(0, 2.0)], [(0, 1.0), (1, 3.0)], [(2, 1.0)], [(1, 1.0)]]),
    "strata with one unit + clusters": ([0, 1, 3, 4], [[(0, 1.0), (1, 1.0)], [(2, 1.0)], [(3, 2.0), (4, 1.0)],
                                                       [(5, 1.0)]]),
}


@pytest.mark.parametrize("name", list(CASES_CSR))
def test_fill_count_weights_matches_oracle(name):
    strata_ptr, units = CASES_CSR[name]
    strata_ptr = np.array(strata_ptr, np.int64)
    ptr, rows, mult = _csr(units)
    R = int(rows.max()) + 1
    for b_start, nb in ((0, 9), (77, 3)):
        out = np.full((nb, R), -1.0)
        kb.fill_count_weights(out, b_start, KEY, strata_ptr, ptr, rows, mult)
        want = oracles.fill_count_weights(nb, R, b_start, int(KEY), strata_ptr, ptr, rows, mult)
        np.testing.assert_array_equal(out, want)
        # total weight per replicate = total multiplicity of the drawn units; with one stratum of
        # singletons it is the number of units (checked against the oracle's draw list)
        for j in range(nb):
            drawn = oracles.draw_units_paired(int(KEY), b_start + j, strata_ptr)
            assert out[j].sum() == sum(mult[ptr[u]:ptr[u + 1]].sum() for u in drawn)


@pytest.mark.parametrize("name", list(CASES_CSR))
def test_fill_sign_and_exp_weights_match_oracle(name):
    _, units = CASES_CSR[name]
    ptr, rows, mult = _csr(units)
    R = int(rows.max()) + 1
    for b_start, nb in ((0, 8), (1000, 3)):
        out = np.full((nb, R), np.nan)
        kb.fill_sign_weights(out, b_start, KEY, ptr, rows, mult)
        want = oracles.fill_sign_weights(nb, R, b_start, int(KEY), ptr, rows, mult)
        np.testing.assert_array_equal(out, want)
        out = np.full((nb, R), np.nan)
        kb.fill_exp_weights(out, b_start, KEY, ptr, rows, mult)
        want = oracles.fill_exp_weights(nb, R, b_start, int(KEY), ptr, rows, mult)
        # -log(1-u): libm (numba) and math.log may differ in the last bit
        np.testing.assert_allclose(out, want, rtol=4 * np.finfo(float).eps, atol=0)
        assert np.all(out >= 0)


def test_weights_from_a_real_design_match_oracle():
    """A design built by the engine (strata + clusters of different sizes + de-duplicated rows)."""
    from evalwidgets.frame import ScoreMatrix

    scores = np.array([[1, 0], [1, 0], [0, 1], [1, 1], [1, 0], [0, 0], [1, 1], [0, 1], [1, 0]], float)
    N = scores.shape[0]
    mat = ScoreMatrix(scores=scores, present=np.ones_like(scores, bool), n_nested=np.ones(scores.shape, np.int32),
                      items=[str(i) for i in range(N)], models=["a", "b"],
                      strata=np.array([0, 0, 0, 0, 1, 1, 1, 2, 2], np.int32), strata_labels=["t0", "t1", "t2"],
                      clusters=np.array([0, 0, 0, 1, 2, 2, 3, 4, 4], np.int32), cluster_labels=list("01234"),
                      binary=True)
    d = make_design(mat, stratify=True)
    assert d.scheme == "stratified-cluster" and d.n_units == 5
    assert d.rows.shape[0] < N  # identical rows were merged
    R = d.rows.shape[0]
    out = np.empty((6, R))
    kb.fill_count_weights(out, 3, KEY, d.strata_ptr, d.unit_ptr, d.unit_row, d.unit_mult)
    want = oracles.fill_count_weights(6, R, 3, int(KEY), d.strata_ptr, d.unit_ptr, d.unit_row, d.unit_mult)
    np.testing.assert_array_equal(out, want)
    # per stratum the drawn items add up to the stratum's item count only in expectation (clusters
    # differ in size), but the number of drawn *units* per stratum is fixed: check via the oracle draws
    for j in range(6):
        drawn = oracles.draw_units_paired(int(KEY), 3 + j, d.strata_ptr)
        per_stratum = np.bincount(np.searchsorted(d.strata_ptr, drawn, side="right") - 1,
                                  minlength=d.strata_ptr.shape[0] - 1)
        np.testing.assert_array_equal(per_stratum, np.diff(d.strata_ptr))


# -- one-sample bootstrap ---------------------------------------------------------------------
# n % 4 = 1, 2, 3, 0 with and without the 4-way unrolled loop: every tail (one more pair, the high
# half of a last draw, both, none)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 13])
def test_bootstrap_mean_1d_matches_oracle(n):
    x = np.random.default_rng(n).normal(size=n)
    B = 12
    got = kb.bootstrap_mean_1d(x, B, KEY)
    want = oracles.bootstrap_mean_1d(x, B, int(KEY))
    # the kernel sums in four interleaved accumulators; the oracle sums exactly
    np.testing.assert_allclose(got, want, rtol=0, atol=8 * n * np.finfo(float).eps * np.abs(x).max())
    if n == 1:
        np.testing.assert_array_equal(got, np.full(B, x[0]))
    # documented: the same draws as fill_count_weights(_simple) with one stratum of n units
    W = np.empty((B, n))
    kb.fill_count_weights_simple(W, 0, KEY, np.array([0, n], np.int64), np.arange(n, dtype=np.int64))
    np.testing.assert_allclose(got, W @ x / n, rtol=0, atol=8 * n * np.finfo(float).eps * np.abs(x).max())


@pytest.mark.parametrize("n", [12, 13])  # even: the unrolled loop + one pair; odd: + one high half
def test_bootstrap_mean_1d_uses_the_draws_of_fill_count_weights(n):
    """A single model gets the replicates it would get inside a leaderboard: the kernel's means equal
    ``counts @ x / n`` with the counts of ``fill_count_weights_simple`` and ``fill_count_weights`` (one
    stratum of n units), exactly.

    ``x[i] = (n + 1) ** i`` makes the comparison exact and complete: every sum is an integer below
    2**53 (so any summation order gives the same double), and since each count is at most n the sum
    is the count vector written in base n + 1, so equal means imply identical count vectors.
    """
    x = float(n + 1) ** np.arange(n)
    assert (n + 1) ** n <= 2 ** 53  # bounds every sum: digits (counts) <= n in base n + 1
    B = 200
    strata_ptr = np.array([0, n], np.int64)
    got = kb.bootstrap_mean_1d(x, B, KEY)
    W = np.empty((B, n))
    kb.fill_count_weights_simple(W, 0, KEY, strata_ptr, np.arange(n, dtype=np.int64))
    np.testing.assert_array_equal(got, (W @ x) / n)
    ptr, rows, mult = _csr([[(u, 1.0)] for u in range(n)])
    W2 = np.empty((B, n))
    kb.fill_count_weights(W2, 0, KEY, strata_ptr, ptr, rows, mult)
    np.testing.assert_array_equal(W2, W)
    # and the count vectors are the multisets of the oracle's paired draws
    for b in range(5):
        np.testing.assert_array_equal(W[b], np.bincount(oracles.draw_units_paired(int(KEY), b, strata_ptr),
                                                        minlength=n))


def test_stratum_with_odd_count_uses_a_fresh_draw():
    """Spelled out from the documented scheme, draw by draw (not through the oracle's loop): strata of
    3, 2, 1 and 5 units; h(z), l(z) = index from the high / low 32 bits of draw z. The odd stratum's
    last unit is h of a fresh draw whose low half is dropped, and the next stratum continues the
    stream; a one-unit stratum still consumes a draw."""
    sizes = [3, 2, 1, 5]
    strata_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    nb, b_start = 6, 21
    want = np.zeros((nb, 11))
    for j in range(nb):
        state, z = oracles.stream_start(int(KEY), b_start + j), []
        for _ in range(7):  # ceil(3/2) + 1 + 1 + ceil(5/2) draws
            state, bits = oracles.splitmix64(state)
            z.append(bits)

        def h(i, n):
            return (z[i] >> 32) * n >> 32

        def lo(i, n):
            return (z[i] & 0xFFFFFFFF) * n >> 32

        units = ([0 + h(0, 3), 0 + lo(0, 3), 0 + h(1, 3)]
                 + [3 + h(2, 2), 3 + lo(2, 2)]
                 + [5 + h(3, 1)]
                 + [6 + h(4, 5), 6 + lo(4, 5), 6 + h(5, 5), 6 + lo(5, 5), 6 + h(6, 5)])
        assert units == oracles.draw_units_paired(int(KEY), b_start + j, strata_ptr)
        for u in units:
            want[j, u] += 1.0
    out = np.full((nb, 11), -1.0)
    kb.fill_count_weights_simple(out, b_start, KEY, strata_ptr, np.arange(11, dtype=np.int64))
    np.testing.assert_array_equal(out, want)
    ptr, rows, mult = _csr([[(u, 1.0)] for u in range(11)])
    out = np.full((nb, 11), -1.0)
    kb.fill_count_weights(out, b_start, KEY, strata_ptr, ptr, rows, mult)
    np.testing.assert_array_equal(out, want)


def test_bootstrap_se_of_mean_matches_closed_form():
    """SD of the bootstrap means = sqrt(mean((x - xbar)^2) / n) (the plug-in SE, ddof=0).

    The tolerance is the standard error of a standard deviation estimated from B replicates:
    SE(sd)/sd = sqrt((kurt - 1) / (4 B)) with kurt the kurtosis of a replicate mean,
    kurt = 3 + (kurt_x - 3) / n. Correlated draws inside a replicate would change the variance.
    """
    rng = np.random.default_rng(11)
    n = 40
    x = rng.exponential(size=n)
    reps = kb.bootstrap_mean_1d(x, B_STAT, KEY)
    want = np.sqrt(np.mean((x - x.mean()) ** 2) / n)
    kurt_x = np.mean((x - x.mean()) ** 4) / np.mean((x - x.mean()) ** 2) ** 2
    rel_se = np.sqrt((3 + (kurt_x - 3) / n - 1) / (4 * B_STAT))
    assert abs(reps.std() / want - 1) < 4 * rel_se
    assert abs(reps.mean() - x.mean()) < 4 * want / np.sqrt(B_STAT)
    # streams of neighbouring replicates and of different keys are uncorrelated: |r| < 4 / sqrt(B)
    assert abs(np.corrcoef(reps[:-1], reps[1:])[0, 1]) < 4 / np.sqrt(B_STAT - 1)
    other = kb.bootstrap_mean_1d(x, B_STAT, KEY2)
    assert abs(np.corrcoef(reps, other)[0, 1]) < 4 / np.sqrt(B_STAT)


def _binomial_checks(counts, n, p):
    """counts ~ Binomial(n, p) over B independent replicates: P(0), mean and variance within 4 Monte
    Carlo SEs. SE of a variance estimate: sqrt((mu4 - sigma^4) / B), with the Binomial central
    moments sigma^2 = npq, mu4 = npq (1 + 3 (n - 2) pq)."""
    B = counts.shape[0]
    p0, pq = (1 - p) ** n, p * (1 - p)
    mu4, var = n * pq * (1 + 3 * (n - 2) * pq), n * pq
    assert abs(np.mean(counts == 0) - p0) < 4 * np.sqrt(p0 * (1 - p0) / B)
    assert abs(counts.mean() - n * p) < 4 * np.sqrt(var / B)
    assert abs(counts.var() - var) < 4 * np.sqrt((mu4 - var ** 2) / B)


@pytest.mark.parametrize("n", [2, 10, 11])  # n = 2: one draw's two halves; 11: + an unpaired last unit
def test_count_weight_marginals_are_binomial(n):
    """Each unit's count is Binomial(n, 1/n): P(0) = (1 - 1/n)^n, mean 1, variance 1 - 1/n; the units
    of any subset A of k units are drawn Binomial(n, k/n) times in total. Dependence between the two
    halves of a draw would show in these (for n = 2, identical halves would give P(0) = 1/2, not 1/4)."""
    W = np.empty((B_STAT, n))
    kb.fill_count_weights_simple(W, 0, KEY, np.array([0, n], np.int64), np.arange(n, dtype=np.int64))
    for r in range(n):  # per unit: B independent replicates
        _binomial_checks(W[:, r], n, 1 / n)
    k = n // 2
    for A in (np.arange(k), np.arange(0, n, 2)):  # first half; every other unit
        _binomial_checks(W[:, A].sum(1), n, len(A) / n)
    np.testing.assert_array_equal(W.sum(1), n)  # multinomial: every replicate draws n units


def test_fill_sign_weights_more_than_64_units():
    """Units 64.. take their signs from the stream's next draws (one draw per 64 units)."""
    U = 150
    ptr, rows, mult = _csr([[(u, 1.0)] for u in range(U)])
    out = np.empty((3, U))
    kb.fill_sign_weights(out, 40, KEY, ptr, rows, mult)
    want = oracles.fill_sign_weights(3, U, 40, int(KEY), ptr, rows, mult)
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("U", [1, 63, 64, 150])
def test_fill_sign_weights_simple_matches_oracle(U):
    """The one-row-per-unit fast path equals the CSR oracle with a permuted identity map."""
    perm = np.random.default_rng(U).permutation(U).astype(np.int64)
    ptr, rows, mult = _csr([[(int(perm[u]), 1.0)] for u in range(U)])
    out = np.full((3, U), np.nan)
    kb.fill_sign_weights_simple(out, 11, KEY, perm)
    want = oracles.fill_sign_weights(3, U, 11, int(KEY), ptr, rows, mult)
    np.testing.assert_array_equal(out, want)


def test_sign_and_exp_weight_marginals():
    """Signs are +-1 with probability 1/2 each and uncorrelated across units (including across the
    64-unit draw boundary); exponential weights have mean 1 and variance 1."""
    U = 70
    B = B_STAT // 8
    ptr, rows, mult = _csr([[(u, 1.0)] for u in range(U)])
    S = np.empty((B, U))
    kb.fill_sign_weights(S, 0, KEY, ptr, rows, mult)
    assert set(np.unique(S)) == {-1.0, 1.0}
    assert abs(np.mean(S == 1.0) - 0.5) < 4 * 0.5 / np.sqrt(S.size)
    # the replicate sum of U independent signs has variance U (correlated bits would inflate it);
    # SE of a variance estimate of a near-normal sum from B replicates is U * sqrt(2 / B)
    assert abs(S.sum(1).var() - U) < 4 * U * np.sqrt(2 / B)
    for u, v in ((0, 1), (62, 63), (63, 64), (0, 64)):
        assert abs(np.mean(S[:, u] * S[:, v])) < 4 / np.sqrt(B)
    U = 8
    ptr, rows, mult = _csr([[(u, 1.0)] for u in range(U)])  # exponential weights: one draw per unit
    E = np.empty((B_STAT, U))
    kb.fill_exp_weights(E, 0, KEY, ptr, rows, mult)
    # Exp(1): SE(mean) = 1/sqrt(K); SE(var) = sqrt((mu4 - 1)/K) with mu4 = 9 (central 4th moment)
    assert abs(E.mean() - 1) < 4 / np.sqrt(E.size)
    assert abs(E.var() - 1) < 4 * np.sqrt(8 / E.size)


# -- replicate ranks --------------------------------------------------------------------------
RANK_CASES = {
    "one model": np.array([[0.3], [np.nan], [0.1]]),
    "ties": np.array([[0.5, 0.5, 0.1, 0.5], [0.2, 0.2, 0.2, 0.2], [0.1, 0.3, 0.3, 0.0]]),
    "NaN": np.array([[np.nan, 0.2, 0.7], [np.nan, np.nan, 0.1], [np.nan, np.nan, np.nan], [0.4, np.nan, 0.4]]),
    "inf and NaN": np.array([[-np.inf, np.nan, 0.0], [np.inf, 1.0, np.nan]]),
    "random": np.random.default_rng(3).integers(0, 4, size=(25, 5)).astype(float),
}


@pytest.mark.parametrize("name", list(RANK_CASES))
@pytest.mark.parametrize("higher", [True, False])
def test_replicate_ranks_matches_oracle(name, higher):
    values = np.ascontiguousarray(RANK_CASES[name])
    ranks, p_best = kb.replicate_ranks(values, higher)
    want_r, want_p = oracles.replicate_ranks(values, higher)
    np.testing.assert_array_equal(ranks, want_r)
    np.testing.assert_allclose(p_best, want_p, rtol=1e-14, atol=0)
    assert p_best.sum() == pytest.approx(1.0, abs=1e-12)  # ties for first split the credit


def test_replicate_ranks_nan_is_last_and_ties_share_the_better_rank():
    ranks, p_best = kb.replicate_ranks(np.array([[0.9, np.nan, 0.9, 0.1]]), True)
    assert ranks.tolist() == [[1, 4, 1, 3]]  # competition ranking "1134"
    assert p_best.tolist() == [0.5, 0.0, 0.5, 0.0]


# -- thread-count independence ----------------------------------------------------------------
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs NUMBA_NUM_THREADS >= 2")
def test_results_do_not_depend_on_thread_count():
    n = 9
    x = np.random.default_rng(0).normal(size=n)
    strata_ptr = np.array([0, 1, 4, 9], np.int64)
    ptr, rows, mult = _csr([[(0, 1.0)], [(1, 1.0), (2, 1.0)], [(3, 1.0)], [(4, 2.0)], [(5, 1.0), (6, 1.0)],
                            [(7, 1.0)], [(8, 1.0)], [(2, 1.0)], [(6, 1.0)]])
    nb = 64  # enough replicates that prange splits them over threads
    vals = np.ascontiguousarray(np.random.default_rng(1).integers(0, 3, size=(nb, 6)).astype(float))

    def run():
        outs = []
        for fill, args in ((kb.fill_count_weights, (strata_ptr, ptr, rows, mult)),
                           (kb.fill_count_weights_simple, (strata_ptr, np.arange(n, dtype=np.int64))),
                           (kb.fill_sign_weights, (ptr, rows, mult)),
                           (kb.fill_exp_weights, (ptr, rows, mult))):
            out = np.empty((nb, n))
            fill(out, 5, KEY, *args)
            outs.append(out)
        outs.append(kb.bootstrap_mean_1d(x, nb, KEY))
        outs.extend(kb.replicate_ranks(vals, True))
        return outs

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(2)
        two = run()
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_blocks_are_independent_of_block_boundaries():
    """Replicate b is the same whether it is filled in one block or as the tail of another block."""
    n = 6
    strata_ptr = np.array([0, n], np.int64)
    unit_row = np.arange(n, dtype=np.int64)
    whole = np.empty((10, n))
    kb.fill_count_weights_simple(whole, 0, KEY, strata_ptr, unit_row)
    part = np.empty((4, n))
    kb.fill_count_weights_simple(part, 6, KEY, strata_ptr, unit_row)
    np.testing.assert_array_equal(whole[6:], part)


# -- the whole module without the JIT ----------------------------------------------------------
@pytest.mark.skipif(NO_JIT, reason="this is the run without the JIT")
def test_module_passes_without_jit():
    """STYLE.md convention 3: the kernel tests also pass with NUMBA_DISABLE_JIT=1."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(Path(__file__).resolve())],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "failed" not in proc.stdout, tail
