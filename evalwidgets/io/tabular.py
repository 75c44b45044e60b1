"""Tabular source formats: CSV, TSV, Parquet, JSON (array of records) and JSONL/NDJSON.

Each reader returns a Polars frame, lazily where the format allows it (``scan_parquet``,
``scan_csv``, ``scan_ndjson``), so ``read()`` can select the role columns before anything is
materialised. Readers take column-type hints (``strings``: read as text; ``floats``: read integers
as floats) so that a column whose first rows look like integers does not fail later on ``"q17"`` or
``0.5``. After a failed read, ``diagnose_*`` helpers locate the problem (file line, record) for the
error message; they run only on the error path.
"""
from __future__ import annotations

import csv
import io as _io
import json
from pathlib import Path
from typing import Collection

import polars as pl

from ._registry import Format, read_head, register_format

__all__ = [
    "scan_csv",
    "scan_tsv",
    "scan_parquet",
    "scan_json",
    "scan_jsonl",
    "sniff_separator",
    "diagnose_csv",
    "diagnose_json",
    "diagnose_jsonl",
]

_INFER_ROWS = 10_000
_SEPARATORS = (",", "\t", ";", "|")
_BOM = b"\xef\xbb\xbf"
_MAX_DIAG_LINES = 10_000_000


def _overrides(schema: pl.Schema, strings: Collection[str], floats: Collection[str]) -> dict[str, pl.DataType]:
    out: dict[str, pl.DataType] = {}
    for c in strings:
        if c in schema and schema[c] != pl.String and not schema[c].is_nested():
            out[c] = pl.String
    for c in floats:
        if c in schema and schema[c].is_integer():
            out[c] = pl.Float64
    return out


def _strip(head: bytes) -> bytes:
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    return head.lstrip()


def _text_lines(head: bytes, limit: int = 50) -> list[str] | None:
    """Complete lines of a text head (None if it looks binary)."""
    if b"\x00" in head:
        return None
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) >= 64 * 1024 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    return [ln for ln in lines if ln.strip()][:limit]


# -- CSV / TSV -----------------------------------------------------------------------------------
def sniff_separator(head: bytes) -> str | None:
    """The delimiter among ``, \\t ; |`` that splits every leading line into the same number (> 1) of
    fields (quotes respected); the one giving most fields wins. ``None`` if none does."""
    lines = _text_lines(head, limit=20)
    if not lines:
        return None
    best, best_n = None, 1
    for sep in _SEPARATORS:
        try:
            counts = {len(row) for row in csv.reader(_io.StringIO("\n".join(lines)), delimiter=sep)}
        except csv.Error:
            continue
        if len(counts) == 1:
            n = counts.pop()
            if n > best_n:
                best, best_n = sep, n
    return best


def _scan_delimited(path: Path, separator: str, strings: Collection[str], floats: Collection[str]) -> pl.LazyFrame:
    def scan(**kw):
        return pl.scan_csv(path, separator=separator, infer_schema_length=_INFER_ROWS, **kw)

    lf = scan()
    over = _overrides(lf.collect_schema(), strings, floats)
    return scan(schema_overrides=over) if over else lf


def scan_csv(path: Path, *, strings: Collection[str] = (), floats: Collection[str] = ()) -> pl.LazyFrame:
    """Lazily scan a delimited text file (the delimiter is sniffed; ``,`` by default)."""
    sep = sniff_separator(read_head(path)) or ","
    return _scan_delimited(path, sep, strings, floats)


def scan_tsv(path: Path, *, strings: Collection[str] = (), floats: Collection[str] = ()) -> pl.LazyFrame:
    """Lazily scan a tab-separated file."""
    return _scan_delimited(path, "\t", strings, floats)


def _sniff_delimited(sep_ok: Collection[str]):
    def sniff(path: Path, head: bytes) -> bool:
        s = _strip(head)
        if not s or s[:1] in (b"{", b"[") or s.startswith(b"PAR1"):
            return False
        return sniff_separator(head) in sep_ok

    return sniff


def diagnose_csv(path: Path) -> str | None:
    """First line whose field count differs from the header's (quotes respected)."""
    sep = sniff_separator(read_head(path)) or ("\t" if path.suffix.lower() in (".tsv", ".tab") else ",")
    with open(path, newline="", encoding="utf-8", errors="strict") as fh:
        try:
            reader = csv.reader(fh, delimiter=sep)
            header = next(reader, None)
            if header is None:
                return "the file is empty (no header line)"
            for row in reader:
                if reader.line_num > _MAX_DIAG_LINES:
                    break
                if row and len(row) != len(header):
                    return (f"line {reader.line_num} has {len(row)} fields but the header has {len(header)} "
                            f"(separator {sep!r})")
        except UnicodeDecodeError as exc:
            return f"the file is not UTF-8 text ({exc.reason} at byte {exc.start} of a chunk). Fix: re-save it as UTF-8"
        except csv.Error as exc:
            return f"line {reader.line_num}: {exc}"
    return None


# -- Parquet -------------------------------------------------------------------------------------
def scan_parquet(path: Path, *, strings: Collection[str] = (), floats: Collection[str] = ()) -> pl.LazyFrame:
    """Lazily scan a Parquet file (types come from the file; only selected columns are read)."""
    return pl.scan_parquet(path)


def _sniff_parquet(path: Path, head: bytes) -> bool:
    return head[:4] == b"PAR1"


# -- JSON / JSONL ----------------------------------------------------------------------------------
def _first_record_line(head: bytes) -> object:
    lines = _text_lines(head, limit=1)
    if not lines:
        return None
    try:
        return json.loads(lines[0])
    except ValueError:
        return None


def _looks_jsonl(head: bytes) -> bool:
    """``{`` first, the first line is a whole JSON object, and it is not a dict of columns."""
    if _strip(head)[:1] != b"{":
        return False
    rec = _first_record_line(head)
    if not isinstance(rec, dict):
        return False
    return not (rec and all(isinstance(v, list) for v in rec.values()))


def _sniff_jsonl(path: Path, head: bytes) -> bool:
    return _looks_jsonl(head)


def _sniff_json(path: Path, head: bytes) -> bool:
    s = _strip(head)
    return s[:1] == b"[" or (s[:1] == b"{" and not _looks_jsonl(head))


def scan_jsonl(path: Path, *, strings: Collection[str] = (), floats: Collection[str] = ()) -> pl.LazyFrame:
    """Lazily scan newline-delimited JSON (one object per line; blank lines are ignored)."""
    def scan(**kw):
        return pl.scan_ndjson(path, infer_schema_length=_INFER_ROWS, **kw)

    lf = scan()
    over = _overrides(lf.collect_schema(), strings, floats)
    return scan(schema_overrides=over) if over else lf


def scan_json(path: Path, *, strings: Collection[str] = (), floats: Collection[str] = ()) -> pl.LazyFrame:
    """Read a JSON array of records (or an object of equal-length columns).

    A ``.json`` file that actually holds one object per line is read as JSONL.
    """
    head = read_head(path)
    if _looks_jsonl(head):
        return scan_jsonl(path, strings=strings, floats=floats)
    if _strip(head)[:1] == b"{":
        with open(path, "rb") as fh:
            obj = json.load(fh)
        if isinstance(obj, dict) and obj and all(isinstance(v, list) for v in obj.values()):
            lengths = {len(v) for v in obj.values()}
            if len(lengths) != 1:
                raise ValueError(f"the JSON object's columns have different lengths {sorted(lengths)}")
            df = pl.DataFrame(obj, strict=False, infer_schema_length=None)
        else:
            raise ValueError(
                "the top-level JSON value is an object, not an array of records (or an object of columns). "
                "Fix: save the records as a JSON array or JSONL, or load it yourself and call ew.from_frame()"
            )
    else:
        df = pl.read_json(path, infer_schema_length=None)
    over = _overrides(df.schema, strings, floats)
    lf = df.lazy()
    return lf.with_columns(pl.col(c).cast(t) for c, t in over.items()) if over else lf


def _no_nan(const: str):
    raise ValueError(f"{const} is not valid JSON")


def _snippet(line: bytes | str, n: int = 60) -> str:
    s = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    s = s.rstrip("\r\n")
    return repr(s if len(s) <= n else s[:n] + "...")


def _kind(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a scalar"


def diagnose_jsonl(path: Path) -> str | None:
    """Locate the first line that is not one JSON object, or whose field holds a different kind of
    value (object / list / scalar) than on earlier lines (1-based line numbers)."""
    kinds: dict[str, tuple[str, int]] = {}
    n_records = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno > _MAX_DIAG_LINES:
                break
            if lineno == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return f"line {lineno} is not valid UTF-8 (byte {exc.start}): {_snippet(raw)}"
            try:
                value = json.loads(text, parse_constant=_no_nan)
            except ValueError as exc:
                what = "is truncated" if not raw.endswith(b"\n") else "is not valid JSON"
                return f"line {lineno} {what} ({getattr(exc, 'msg', exc)}): {_snippet(text)}"
            if not isinstance(value, dict):
                return f"line {lineno} is a JSON {type(value).__name__}, not an object: {_snippet(text)}"
            n_records += 1
            for key, v in value.items():
                k = _kind(v)
                if k is None:
                    continue
                first = kinds.setdefault(key, (k, lineno))
                if first[0] != k:
                    return (f"line {lineno}: field {key!r} is {k} but {first[0]} on line {first[1]}, so the "
                            f"column has no single type: {_snippet(text)}")
    if n_records == 0:
        return "the file has no records (it is empty or has only blank lines)"
    return None


def diagnose_json(path: Path) -> str | None:
    """Locate a JSON syntax error (line, column) or the first record that is not an object."""
    head = read_head(path)
    if _looks_jsonl(head):
        return diagnose_jsonl(path)
    if not _strip(head):
        return "the file is empty"
    try:
        with open(path, "rb") as fh:
            obj = json.loads(fh.read().decode("utf-8"), parse_constant=_no_nan)
    except UnicodeDecodeError as exc:
        return f"the file is not valid UTF-8 (byte {exc.start})"
    except json.JSONDecodeError as exc:
        return f"invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    except ValueError as exc:
        return str(exc)
    if isinstance(obj, list):
        for i, rec in enumerate(obj):
            if not isinstance(rec, dict):
                return f"record {i} (0-based) of the array is a JSON {type(rec).__name__}, not an object"
    return None


# -- registration --------------------------------------------------------------------------------
CSV = register_format(Format(
    name="csv", extensions=(".csv",), scan=scan_csv, sniff=_sniff_delimited((",", ";", "|")),
    diagnose=diagnose_csv, priority=0,
    description="comma-separated text (';' and '|' are sniffed too), scanned lazily",
))
TSV = register_format(Format(
    name="tsv", extensions=(".tsv", ".tab"), scan=scan_tsv, sniff=_sniff_delimited(("\t",)),
    diagnose=diagnose_csv, priority=5, description="tab-separated text, scanned lazily",
))
PARQUET = register_format(Format(
    name="parquet", extensions=(".parquet", ".pq"), scan=scan_parquet, sniff=_sniff_parquet,
    aliases=("pq",), priority=30, description="Apache Parquet, scanned lazily (only role columns are read)",
))
JSONL = register_format(Format(
    name="jsonl", extensions=(".jsonl", ".ndjson"), scan=scan_jsonl, sniff=_sniff_jsonl,
    diagnose=diagnose_jsonl, aliases=("ndjson",), priority=20,
    description="one JSON object per line, scanned lazily",
))
JSON = register_format(Format(
    name="json", extensions=(".json",), scan=scan_json, sniff=_sniff_json, diagnose=diagnose_json,
    priority=15, description="a JSON array of records (or an object of columns)",
))
