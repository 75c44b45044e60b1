"""Counter-based random streams: one independent splitmix64 stream per replicate.

Replicate ``b`` starts from ``hash(key, b)`` so results never depend on the thread count or on
the order in which replicates are computed. ``key`` comes from ``np.random.SeedSequence(seed)``
(see :func:`evalwidgets.stats._engine.seed_key`).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_KEYMUL = np.uint64(0xD1342543DE82EF95)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(inline="always", cache=True)
def splitmix64(x):
    """Advance state ``x``; return (new_state, 64 random bits)."""
    x = x + _GOLDEN
    z = x
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return x, z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def stream_start(key, b):
    """Hashed start state of replicate ``b`` (never ``key + b*step``: neighbouring streams would overlap)."""
    _, s = splitmix64(key * _KEYMUL ^ np.uint64(b))
    _, s = splitmix64(s)
    return s


@njit(inline="always", cache=True)
def bounded(r, n):
    """Map 64 random bits to an integer in [0, n) (Lemire's multiply-shift on the high 32 bits; n < 2**32).

    ``floor(h * n / 2**32)`` with ``h`` the high 32 bits: every value has ``floor(2**32 / n)`` or
    ``ceil(2**32 / n)`` of the ``2**32`` possible ``h``, so its probability is off from ``1/n`` by at
    most a relative ``n / 2**32`` (2e-6 for n = 10**4), far below any Monte Carlo error of a
    bootstrap. Rejection sampling would remove it at the cost of a branch per draw.
    """
    return np.int64(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(inline="always", cache=True)
def bounded_pair(r, n):
    """Two integers in [0, n) from one 64-bit output: (from the high 32 bits, from the low 32 bits).

    Each half goes through the multiply-shift of :func:`bounded` (``floor(h * n / 2**32)`` for the
    high half ``h``, ``floor(l * n / 2**32)`` for the low half ``l``; n < 2**32), so each index has
    the same tiny non-uniformity (relative error of a probability at most ``n / 2**32``). The halves
    of a splitmix64 output are used as two independent 32-bit words (the kernel tests check the
    multinomial count distribution this implies, e.g. for n = 2, one output per replicate), which
    halves the RNG cost of a bootstrap draw. The first index is ``bounded(r, n)``.
    """
    nn = np.uint64(n)
    return (np.int64(((r >> np.uint64(32)) * nn) >> np.uint64(32)),
            np.int64(((r & _LOW32) * nn) >> np.uint64(32)))


@njit(inline="always", cache=True)
def uniform01(r):
    """Map 64 random bits to a double in [0, 1)."""
    return np.float64(r >> np.uint64(11)) * (1.0 / 9007199254740992.0)
