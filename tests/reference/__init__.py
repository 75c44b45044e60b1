"""Slow, readable reference implementations (oracles) that the fast kernels are tested against.

Nothing here imports :mod:`evalwidgets`: an oracle is written from the documented contract of a
kernel (e.g. the random streams described in ``evalwidgets/kernels/rng.py``), never from its code
path, so a test that compares the two checks something.
"""
