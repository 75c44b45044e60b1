"""Domain errors and warnings.

Every error names the argument or column, the offending value, and shows the fix as code.
They subclass the builtin ``ValueError``/``KeyError`` so generic handlers still catch them.
"""
from __future__ import annotations

import difflib

__all__ = [
    "EvalWidgetsError",
    "SchemaError",
    "ColumnNotFoundError",
    "InsufficientDataError",
    "DuplicateRowsError",
    "DegenerateDataWarning",
    "SmallSampleWarning",
    "did_you_mean",
]


class EvalWidgetsError(Exception):
    """Base class of every evalwidgets error."""


class SchemaError(EvalWidgetsError, ValueError):
    """The input table does not have the shape or types an analysis needs."""


class ColumnNotFoundError(EvalWidgetsError, KeyError):
    """A role names a column that the table does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else ""


class DuplicateRowsError(SchemaError):
    """Two or more rows share the same (model, item[, prompt, sample, judge]) key."""


class InsufficientDataError(EvalWidgetsError, ValueError):
    """Too few models, items or non-missing scores for the requested analysis."""


class DegenerateDataWarning(UserWarning):
    """The data make a statistic degenerate (e.g. zero variance); the result is still returned."""


class SmallSampleWarning(UserWarning):
    """A method is used outside the sample sizes where it is reliable (e.g. CLT with n < 100)."""


def did_you_mean(name: str, candidates) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""``."""
    cands = [str(c) for c in candidates]
    lower = {c.lower(): c for c in cands}
    if name.lower() in lower:
        return f" Did you mean {lower[name.lower()]!r}?"
    close = difflib.get_close_matches(name, cands, n=1, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.5)
        close = [lower[c] for c in close]
    return f" Did you mean {close[0]!r}?" if close else ""
