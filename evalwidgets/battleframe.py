"""BattleFrame: validated pairwise battles (model_a vs model_b, winner) with an exclusion ledger."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import polars as pl

from .errors import InsufficientDataError, SchemaError
from .frame import _missing_column, to_polars

__all__ = ["BattleFrame", "battles"]

# values accepted for the winner column, case-insensitive, and what they mean
_A = {"model_a", "model_1", "a", "1", "1.0", "assistant 1", "assistant_1", "first", "left"}
_B = {"model_b", "model_2", "b", "2", "2.0", "assistant 2", "assistant_2", "second", "right"}
_TIE = {"tie", "draw", "3", "3.0", "0.5", "equal"}
# arena-style tie variants: kept as ties, and counted in the ledger so the mapping is visible
_TIE_VARIANTS = {"tie (bothbad)", "tie(bothbad)", "bothbad", "both_bad", "tie (both bad)", "both bad"}


class BattleFrame:
    """Validated battles. ``data`` has ``model_a, model_b, outcome`` (1 = a wins, 0 = b wins,
    0.5 = tie) plus ``judge``/``item`` when given; ``excluded`` is the ledger (``reason, count,
    example``) of every row not used or re-mapped."""

    __slots__ = ("data", "excluded", "spec")

    def __init__(self, data: pl.DataFrame, excluded: pl.DataFrame, spec: dict[str, Any]):
        self.data = data
        self.excluded = excluded
        self.spec = spec

    @property
    def models(self) -> list[str]:
        return list(self.spec["models"])

    def __repr__(self) -> str:
        s = self.spec
        lines = [f"BattleFrame: {s['n_battles']:,} battles between {len(s['models'])} models "
                 f"({s['n_ties']:,} ties)"]
        if self.excluded.height:
            lines.append("  excluded / re-mapped:")
            for reason, count, example in self.excluded.iter_rows():
                lines.append(f"    {reason}: {count:,}  (e.g. {example})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return "<pre>" + html.escape(repr(self)) + "</pre>"


def battles(df: Any, model_a: str = "model_a", model_b: str = "model_b", winner: str = "winner", *,
            judge: str | None = None, item: str | None = None,
            mapping: Mapping[Any, str] | None = None) -> BattleFrame:
    """Validate a table of pairwise battles.

    Parameters
    ----------
    df : Polars / pandas / Arrow table
    model_a, model_b, winner : str
        Columns. ``winner`` may hold ``model_a``/``model_b``/``tie`` (also ``model_1``/``model_2``, ``a``/``b``, ``1``/``2``/``3``
        as in MT-bench/PRD scores, ``draw``), or the winning model's name. Arena-style
        ``tie (bothbad)`` values are kept as ties and counted in ``excluded`` as re-mapped.
    judge, item : str, optional
        Rater and prompt columns (``item`` lets ``bradley_terry`` resample prompts, not battles).
    mapping : dict, optional
        Extra winner values, e.g. ``{"A>B": "model_a", "B>A": "model_b", "A=B": "tie"}``.

    Examples
    --------
    >>> import polars as pl, evalwidgets as ew
    >>> df = pl.DataFrame({"model_a": ["x", "y", "x"], "model_b": ["y", "x", "x"],
    ...                    "winner": ["model_a", "tie (bothbad)", "tie"]})
    >>> bf = ew.battles(df)
    >>> bf.data["outcome"].to_list(), bf.excluded["reason"].to_list()
    ([1.0, 0.5], ["winner 'tie (bothbad)' counted as a tie", 'self-battle (model_a == model_b)'])
    """
    frame = to_polars(df)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    roles = {"model_a": model_a, "model_b": model_b, "winner": winner}
    if judge is not None:
        roles["judge"] = judge
    if item is not None:
        roles["item"] = item
    for role, col in roles.items():
        if col not in frame.columns:
            raise _missing_column(role, col, frame.columns)
    data = frame.select([pl.col(c).cast(pl.String).alias(r) for r, c in roles.items()])
    if data.height == 0:
        raise InsufficientDataError("the battle table is empty (0 rows).")
    extra = {str(k).strip().lower(): v for k, v in (mapping or {}).items()}
    for k, v in extra.items():
        if v not in ("model_a", "model_b", "tie"):
            raise ValueError(f"mapping value {v!r} for {k!r}: use 'model_a', 'model_b' or 'tie'.")
    w = data["winner"].str.strip_chars().str.to_lowercase()
    a_l = data["model_a"].str.to_lowercase()
    b_l = data["model_b"].str.to_lowercase()
    outcome = np.full(data.height, np.nan)
    wv = w.to_list()
    raw = data["winner"].str.strip_chars().to_list()
    al, bl = a_l.to_list(), b_l.to_list()
    variants: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for i, v in enumerate(wv):
        if v is None:
            continue
        if v in extra:
            outcome[i] = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[extra[v]]
        elif v in _A or v == al[i]:
            outcome[i] = 1.0
        elif v in _B or v == bl[i]:
            outcome[i] = 0.0
        elif v in _TIE:
            outcome[i] = 0.5
        elif v in _TIE_VARIANTS:
            outcome[i] = 0.5
            variants[v] = variants.get(v, 0) + 1
        else:
            unknown[raw[i]] = unknown.get(raw[i], 0) + 1
    if unknown:
        shown = ", ".join(f"{k!r} ({n:,})" for k, n in sorted(unknown.items(), key=lambda t: -t[1])[:8])
        raise SchemaError(
            f"winner={winner!r} has {sum(unknown.values()):,} values that are not model_a/model_b/tie or a "
            f"model name: {shown}. Fix: ew.battles(df, ..., mapping={{{next(iter(unknown))!r}: 'model_a'}}) "
            "to say what each value means.")
    ledger = []
    for v, n in variants.items():
        ledger.append({"reason": f"winner {v!r} counted as a tie", "count": n, "example": v})
    data = data.with_columns(pl.Series("outcome", outcome)).drop("winner")
    null = data.filter(pl.col("outcome").is_nan() | pl.col("model_a").is_null() | pl.col("model_b").is_null())
    if null.height:
        ledger.append({"reason": "null winner or model", "count": null.height, "example": str(null.row(0))})
    data = data.filter(~(pl.col("outcome").is_nan() | pl.col("model_a").is_null() | pl.col("model_b").is_null()))
    self_b = data.filter(pl.col("model_a") == pl.col("model_b"))
    if self_b.height:
        ledger.append({"reason": "self-battle (model_a == model_b)", "count": self_b.height,
                       "example": f"{self_b['model_a'][0]!r} vs itself"})
    data = data.filter(pl.col("model_a") != pl.col("model_b"))
    if data.height == 0:
        raise InsufficientDataError("no usable battles left after removing null winners and self-battles.")
    models = sorted(set(data["model_a"].to_list()) | set(data["model_b"].to_list()))
    if len(models) < 2:
        raise InsufficientDataError(f"battles need at least 2 models; found {models}.")
    excluded = pl.DataFrame(ledger, schema={"reason": pl.String, "count": pl.Int64, "example": pl.String})
    spec = {"models": models, "n_battles": data.height, "n_ties": int((data["outcome"] == 0.5).sum()),
            "roles": roles}
    return BattleFrame(data, excluded, spec)
