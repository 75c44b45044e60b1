"""Readers: files in, validated :class:`~evalwidgets.frame.ResultFrame` out.

``read()`` takes one path, a list of paths, a directory or a glob, detects each file's format (by
extension, then by content), scans it lazily where the format allows, keeps only the role columns,
merges the files (with a ``source_file`` column when there are several) and validates the result
with :func:`evalwidgets.from_frame`. Formats live in a registry (``_registry.py``): this package
ships the tabular ones (``tabular.py``: CSV, TSV, Parquet, JSON, JSONL); harness formats register
the same way.
"""
from __future__ import annotations

import glob as _glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Sequence

import polars as pl

from ..errors import (
    ColumnNotFoundError,
    DuplicateRowsError,
    EvalWidgetsError,
    SchemaError,
    did_you_mean,
)
from ..frame import ROLES, ResultFrame, from_frame
from . import tabular  # noqa: F401  (registers the tabular formats)
from ._registry import (
    Format,
    ReadError,
    SourceNotFoundError,
    detect_format,
    formats,
    get_format,
    register_format,
    supported_text,
)
from ._registry import _suffix_candidates

__all__ = ["read", "ReadError", "SourceNotFoundError", "Format", "register_format", "formats", "get_format"]

PROVENANCE = "source_file"
_DEFAULT_ROLES = {"model": "model", "item": "item", "score": "score"}
_STRING_ROLES = ("model", "item", "task", "category", "prompt", "judge", "cluster", "answer", "output")
_SKIPPED = "unreadable files skipped (on_error='skip'; count = files)"
# what the engine (Polars/Arrow/OS) may raise while scanning or collecting; PanicException is a
# BaseException, so it is named explicitly
_ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, UnicodeError, ValueError,
)


@dataclass
class _Part:
    name: str  # the path as the user will recognise it
    path: Path
    fmt: Format
    lf: pl.LazyFrame | None = None


def read(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    format: str = "auto",
    *,
    duplicates: Literal["error", "mean"] = "error",
    on_error: Literal["raise", "skip"] = "raise",
    extra: Sequence[str] | None = None,
    **roles: str | None,
) -> ResultFrame:
    """Read per-item results from files into a validated :class:`~evalwidgets.ResultFrame`.

    Parameters
    ----------
    source : path, list of paths, directory or glob
        Files to read and merge. A directory is read recursively (files with a supported extension,
        hidden ones skipped); a string with ``*``, ``?`` or ``[`` is a glob (``**`` recurses).
    format : {"auto", "csv", "tsv", "parquet", "json", "jsonl"}
        ``"auto"`` detects each file by extension and, for unknown extensions, by its first bytes
        (``PAR1`` → Parquet, ``[`` → JSON, ``{`` per line → JSONL, a consistent delimiter → CSV/TSV).
    duplicates : {"error", "mean"}
        As in :func:`~evalwidgets.from_frame`; with several files the error names the files the
        duplicated rows come from.
    on_error : {"raise", "skip"}
        ``"skip"`` skips files that cannot be read or lack a role column when reading many; they
        are counted in ``rf.excluded`` (reason ``"unreadable files skipped ..."``) and listed in
        ``rf.spec["skipped_files"]``.
    extra : list of str, optional
        Further columns to keep (as in ``from_frame``).
    **roles : str
        Column names of the roles, exactly as :func:`~evalwidgets.from_frame`: ``model``, ``item``,
        ``score`` (default to columns of those names), ``task``, ``category``, ``prompt``,
        ``sample``, ``judge``, ``cluster``, ``answer``, ``output``. ``None`` means not given.

    Returns
    -------
    ResultFrame
        With a ``source_file`` column (Enum of file names) when several files were merged;
        ``rf.spec["sources"]`` lists the files read.

    Notes
    -----
    Parquet, CSV/TSV and JSONL are scanned lazily and only the role (and ``extra``) columns are
    materialised, so a large Parquet file with wide payload columns costs only the memory of the
    columns an analysis needs. Columns used as text roles are read as text (an item id such as
    ``"q17"`` after 10,000 numeric ids does not break the read), and integer score columns as floats.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import polars as pl, evalwidgets as ew
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> df = pl.DataFrame({"llm": ["a", "a", "b", "b"], "q": [1, 2, 1, 2], "correct": [1, 0, 1, 1]})
    >>> df.write_csv(d / "run1.csv")
    >>> df.with_columns(llm=pl.col("llm") + "2").write_parquet(d / "run2.parquet")
    >>> rf = ew.read(d, model="llm", item="q", score="correct")
    >>> rf.models, rf.n_items
    (['a', 'b', 'a2', 'b2'], 2)
    >>> sorted(rf.data["source_file"].unique().to_list()) == sorted([str(d / "run1.csv"), str(d / "run2.parquet")])
    True

    See Also
    --------
    evalwidgets.from_frame : validate a table that is already in memory.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error={on_error!r}: use 'raise' or 'skip'.")
    if duplicates not in ("error", "mean"):
        raise ValueError(f"duplicates={duplicates!r}: use 'error' or 'mean'.")
    for k in roles:
        if k not in ROLES:
            raise TypeError(
                f"read() got an unexpected keyword argument {k!r}.{did_you_mean(k, ROLES)} "
                f"Roles are {list(ROLES)}."
            )
    user_roles = {k: v for k, v in roles.items() if v is not None}
    for k, v in user_roles.items():
        if not isinstance(v, str):
            raise TypeError(f"{k}= must be a column name (str), got {type(v).__name__}")
    extra = list(extra or [])
    forced = None if format == "auto" else get_format(format)

    failures: list[tuple[str, EvalWidgetsError]] = []
    skip = on_error == "skip"
    parts = _expand(source, forced, failures, skip)

    # detect formats first: the common default roles of the formats decide the role columns
    detected: list[_Part] = []
    for p in parts:
        try:
            detected.append(_Part(p.name, p.path, p.fmt or detect_format(p.path)))
        except ReadError as exc:
            _fail(failures, p.name, exc, skip)
    defaults: dict[str, str] = {}
    if detected:
        common = [dict(p.fmt.default_roles) for p in detected]
        defaults = {k: v for k, v in common[0].items() if all(c.get(k) == v for c in common[1:])}
    eff_roles = {**_DEFAULT_ROLES, **defaults, **user_roles}

    opened: list[_Part] = []
    for p in detected:
        try:
            p.lf = _open(p, eff_roles, extra)
            opened.append(p)
        except (ReadError, ColumnNotFoundError, SchemaError) as exc:
            _fail(failures, p.name, exc, skip)
    n_sources = len(opened) + len(failures)
    if not opened:
        _raise_nothing_left(failures, n_sources)

    provenance = n_sources > 1 and PROVENANCE not in eff_roles.values() and PROVENANCE not in extra
    while True:
        lf = _merge(opened, provenance)
        try:
            rf = from_frame(lf, **eff_roles, extra=extra + ([PROVENANCE] if provenance else []),
                            duplicates=duplicates)
            break
        except DuplicateRowsError as exc:
            if provenance:
                raise DuplicateRowsError(str(exc) + _duplicate_sources(lf, eff_roles)) from None
            raise
        except SchemaError as exc:
            # row numbers in the message count over the merged files: name the file instead
            found = _locate(opened, exc, eff_roles, extra, duplicates) if len(opened) > 1 else None
            if found is None:
                raise
            raise type(exc)(f"in {found[0].name!r}: {found[1]}") from None
        except EvalWidgetsError:
            raise
        except _ENGINE_ERRORS as exc:
            bad = _find_bad_parts(opened)
            if not bad:
                names = ", ".join(repr(p.name) for p in opened[:3]) + (" ..." if len(opened) > 3 else "")
                raise ReadError(f"could not read {names}: {_first_paragraph(exc)}") from exc
            if not skip:
                raise bad[0][1] from exc
            for p, err in bad:
                failures.append((p.name, err))
            opened = [p for p in opened if all(p is not b for b, _ in bad)]
            if not opened:
                _raise_nothing_left(failures, n_sources)

    spec = rf.spec
    spec["sources"] = [p.name for p in opened]
    spec["formats"] = sorted({p.fmt.name for p in opened})
    if failures:
        spec["skipped_files"] = [{"path": name, "error": str(err)} for name, err in failures]
        name0, err0 = failures[0]
        row = pl.DataFrame({"reason": [_SKIPPED], "count": [len(failures)],
                            "example": [f"{name0}: {_short(str(err0))}"]},
                           schema={"reason": pl.String, "count": pl.Int64, "example": pl.String})
        rf = ResultFrame(rf.data, pl.concat([rf.excluded, row]), spec, rf.roles)
    return rf


# -- sources -------------------------------------------------------------------------------------
def _fail(failures: list, name: str, exc: EvalWidgetsError, skip: bool) -> None:
    if not skip:
        raise exc
    failures.append((name, exc))


def _raise_nothing_left(failures: list[tuple[str, EvalWidgetsError]], n: int):
    if len(failures) == 1:
        raise failures[0][1]
    lines = "; ".join(f"{name}: {_short(str(err))}" for name, err in failures[:3])
    raise ReadError(f"none of the {n} files could be read ({lines}{' ...' if len(failures) > 3 else ''}).")


def _short(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _has_magic(s: str) -> bool:
    return _glob.has_magic(s)


def _matches_format(path: Path, fmt: Format | None) -> bool:
    name = path.name.lower()
    if fmt is None:
        return bool(_suffix_candidates(path))
    return any(name.endswith(ext) for ext in fmt.extensions)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def _expand(source: Any, fmt: Format | None, failures: list, skip: bool) -> list[_Part]:
    if isinstance(source, (pl.DataFrame, pl.LazyFrame)) or type(source).__module__.startswith(("pandas", "pyarrow")):
        raise TypeError("read() takes a path, a list of paths, a directory or a glob; for a table already "
                        "in memory use ew.from_frame(df, ...).")
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    elif isinstance(source, (list, tuple)):
        items = list(source)
    else:
        raise TypeError(f"read() takes a path, a list of paths, a directory or a glob, got {type(source).__name__}.")
    if not items:
        raise SourceNotFoundError("read() got an empty list of paths. Fix: pass at least one file.")
    many = len(items) > 1
    out: list[_Part] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"paths must be str or os.PathLike, got {type(item).__name__}: {item!r}")
        text = os.fspath(item)
        path = Path(text).expanduser()
        try:
            if path.is_dir():
                out.extend(_expand_dir(text, path, fmt))
            elif path.is_file():
                out.append(_Part(text, path, fmt))
            elif _has_magic(text):
                matches = sorted(Path(m) for m in _glob.glob(str(path), recursive=True))
                files = [m for m in matches if m.is_file()]
                if not files:
                    raise SourceNotFoundError(f"no files match the pattern {text!r}. Fix: check the path and the pattern.")
                out.extend(_Part(str(m), m, fmt) for m in files)
            else:
                raise SourceNotFoundError(_missing_message(text, path))
        except SourceNotFoundError as exc:
            if not (skip and many):
                raise
            failures.append((text, exc))
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = p.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _expand_dir(text: str, path: Path, fmt: Format | None) -> list[_Part]:
    owners = [fmt] if fmt is not None else formats()
    for f in owners:
        if f.sniff_dir is not None and f.sniff_dir(path):
            return [_Part(text, path, f)]
    files = sorted(q for q in path.rglob("*") if q.is_file() and not _hidden(q, path))
    chosen = [q for q in files if _matches_format(q, fmt)]
    if not chosen and fmt is not None:
        chosen = files
    if not chosen:
        raise SourceNotFoundError(
            f"directory {text!r} has no files with a supported extension ({supported_text()}); "
            f"it has {len(files)} other file(s)"
            + (f", e.g. {files[0].name!r}. Fix: ew.read({text!r}, format='csv') to read them as CSV." if files else ".")
        )
    return [_Part(str(q), q, fmt) for q in chosen]


def _missing_message(text: str, path: Path) -> str:
    msg = f"no such file or directory: {text!r}"
    parent = path.parent if str(path.parent) else Path(".")
    if parent.is_dir():
        try:
            siblings = [q.name for q in parent.iterdir()]
        except OSError:  # pragma: no cover - unreadable directory
            siblings = []
        msg += "." + did_you_mean(path.name, siblings)
    else:
        msg += f" (the directory {str(parent)!r} does not exist either)."
    return msg + f" Fix: check the path (working directory: {os.getcwd()!r})."


# -- opening and merging -------------------------------------------------------------------------
def _first_paragraph(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.split("\n\n", 1)[0].replace("\n", " ")


def _read_error(part: _Part, exc: BaseException) -> ReadError:
    where = None
    if part.fmt.diagnose is not None:
        try:
            where = part.fmt.diagnose(part.path)
        except Exception:  # the diagnosis is best effort; the engine's message is still shown
            where = None
    if where:
        fix = "" if "Fix:" in where else " Fix: repair or remove it;"
        return ReadError(
            f"could not read {part.name!r} as {part.fmt.name}: {where}.{fix} when reading many files, "
            "ew.read(..., on_error='skip') skips unreadable ones."
        )
    msg = f"could not read {part.name!r} as {part.fmt.name}: {_first_paragraph(exc)}."
    if not any(part.path.name.lower().endswith(ext) for ext in part.fmt.extensions):
        others = ", ".join(repr(f.name) for f in formats() if f is not part.fmt)
        msg += (f" The format was guessed from the content; if it is not {part.fmt.name}, name it: "
                f"ew.read({part.name!r}, format=...) with one of {others}.")
    return ReadError(msg)


def _open(part: _Part, roles: dict[str, str], extra: list[str]) -> pl.LazyFrame:
    strings = [roles[r] for r in _STRING_ROLES if r in roles]
    floats = [roles["score"]]
    try:
        frame = part.fmt.scan(part.path, strings=strings, floats=floats)
        lf = frame.lazy()
        schema = lf.collect_schema()
    except EvalWidgetsError:
        raise
    except (Exception, pl.exceptions.PanicException) as exc:
        raise _read_error(part, exc) from exc
    cols = schema.names()
    if not cols:
        raise ReadError(f"{part.name!r} has no columns (is it empty?). Fix: check the file.")
    for role, col in roles.items():
        if col not in cols:
            raise ColumnNotFoundError(
                f"{role}={col!r}: no column {col!r} in {part.name!r}.{did_you_mean(col, cols)} Columns are "
                f"{cols[:20]}. Fix: ew.read(..., {role}='<column name>')."
            )
    for col in extra:
        if col not in cols:
            raise ColumnNotFoundError(
                f"extra={col!r}: no column {col!r} in {part.name!r}.{did_you_mean(col, cols)} "
                f"Columns are {cols[:20]}."
            )
    sel = []
    done: set[str] = set()
    for role, col in roles.items():
        if col in done:  # one column for two roles: from_frame explains the problem
            continue
        done.add(col)
        dt = schema[col]
        if role in _STRING_ROLES and dt.is_nested():
            raise SchemaError(
                f"{role}={col!r} in {part.name!r} holds nested values ({dt}), not labels. "
                f"Fix: pass a column of strings or numbers as {role}=."
            )
        e = pl.col(col)
        if role in _STRING_ROLES and dt != pl.String:
            e = e.cast(pl.String)
        elif role == "score" and (dt.is_numeric() or dt in (pl.Boolean, pl.Null)):
            e = e.cast(pl.Float64)
        sel.append(e)
    sel += [pl.col(c) for c in extra if c not in roles.values()]
    return lf.select(sel)


def _merge(parts: list[_Part], provenance: bool) -> pl.LazyFrame:
    if not provenance:
        if len(parts) == 1:
            return parts[0].lf  # type: ignore[return-value]
        return pl.concat([p.lf for p in parts], how="vertical_relaxed")  # type: ignore[misc]
    names = list(dict.fromkeys(p.name for p in parts))
    enum = pl.Enum(names)
    return pl.concat(
        [p.lf.with_columns(pl.lit(p.name, dtype=enum).alias(PROVENANCE)) for p in parts],  # type: ignore[union-attr]
        how="vertical_relaxed",
    )


def _find_bad_parts(parts: list[_Part]) -> list[tuple[_Part, ReadError]]:
    bad = []
    for p in parts:
        try:
            p.lf.collect()  # type: ignore[union-attr]
        except (Exception, pl.exceptions.PanicException) as exc:
            bad.append((p, _read_error(p, exc)))
    return bad


def _locate(parts: list[_Part], exc: SchemaError, roles: dict[str, str], extra: list[str],
            duplicates: str) -> tuple[_Part, SchemaError] | None:
    """The first file that raises the same error on its own (error path only)."""
    for p in parts:
        try:
            from_frame(p.lf, **roles, extra=extra, duplicates=duplicates)
        except type(exc) as own:
            return p, own
        except (Exception, pl.exceptions.PanicException):  # a different problem: keep looking
            continue
    return None


def _duplicate_sources(lf: pl.LazyFrame, roles: dict[str, str]) -> str:
    key = [roles[r] for r in ("model", "item", "prompt", "sample", "judge") if r in roles]
    try:
        hit = (
            lf.group_by(key)
            .agg(pl.col(PROVENANCE).unique().sort().cast(pl.String).alias("files"), pl.len().alias("n"))
            .filter(pl.col("n") > 1)
            .sort(pl.col("files").list.len(), descending=True)
            .head(1)
            .collect()
        )
    except Exception:  # best effort
        return ""
    if not hit.height:
        return ""
    files = hit["files"][0].to_list()
    if len(files) > 1:
        return (f" The first such key occurs in {len(files)} files: {files[:4]} — were the same results "
                "read twice? Fix: narrow the glob or list of files.")
    return f" The duplicated rows are within one file: {files[0]!r}."
