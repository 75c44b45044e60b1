"""``evalwidgets`` command line: one sub-command per public analysis, nothing computed here.

Shell usage::

    evalwidgets leaderboard --example
    evalwidgets leaderboard results/*.jsonl --model llm --item question_id --score correct --format markdown
    evalwidgets compare results.parquet model-a model-b --seed 1
    evalwidgets significance results.csv --correction bh --format csv -o pairs.csv
    evalwidgets power --delta 0.03 --discordance 0.2

Errors from the package (bad column, unreadable file, ...) print one ``evalwidgets: error: ...`` line
on stderr and exit with status 2; warnings print as ``evalwidgets: warning: ...``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from typing import Any, Callable, Sequence, TextIO

import evalwidgets as ew

__all__ = ["main"]

_ROLE_FLAGS = ("model", "item", "score", "task", "category", "prompt", "sample", "judge", "cluster")
_SPEC_KEYS = ("method", "level", "n_resamples", "seed", "stratify", "correction", "test", "alpha")
_OUTPUTS = ("text", "csv", "json", "markdown")
_SHORT_COLUMNS = ("level", "alpha", "power")  # usually round numbers: 0.95, not 0.9500


# -- argument parsing ----------------------------------------------------------------------------
def _input_args(p: argparse.ArgumentParser, *, paths: bool = True) -> None:
    g = p.add_argument_group("input")
    if paths:
        g.add_argument("paths", nargs="*", metavar="PATH",
                       help="result file(s), directory or glob (CSV, TSV, Parquet, JSON, JSONL)")
    g.add_argument("--example", action="store_true", help="use the embedded example data (ew.datasets.example())")
    g.add_argument("--input-format", default="auto", metavar="FMT",
                   help="input format: auto (default), csv, tsv, parquet, json, jsonl")
    g.add_argument("--duplicates", choices=("error", "mean"), default="error",
                   help="duplicate (model, item[, prompt, sample, judge]) rows: error (default) or mean")
    g.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="skip unreadable files when reading many (they are counted)")
    r = p.add_argument_group("roles (column names; model/item/score default to columns of those names)")
    for role in _ROLE_FLAGS:
        r.add_argument(f"--{role}", metavar="COL", default=None, help=f"column holding the {role}")


def _resample_args(p: argparse.ArgumentParser, *, ci: bool = True) -> None:
    g = p.add_argument_group("statistics")
    if ci:
        g.add_argument("--ci", type=float, default=0.95, metavar="LEVEL", help="confidence level (default 0.95)")
    g.add_argument("--n-resamples", type=int, default=10_000, metavar="B", help="bootstrap resamples (default 10000)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same numbers")


def _output_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--format", choices=_OUTPUTS, default="text", help="output format (default text)")
    g.add_argument("-o", "--output", metavar="FILE", default=None, help="write to FILE instead of stdout")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalwidgets",
        description="Statistically honest leaderboards, paired comparisons and power analysis for eval results.",
    )
    parser.add_argument("--version", action="version", version=f"evalwidgets {ew.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("leaderboard", help="scores with confidence intervals, rank intervals and tiers",
                       description="Leaderboard: ew.leaderboard(rf, ci=, method=, n_resamples=, seed=, stratify=).")
    _input_args(p)
    _resample_args(p)
    p.add_argument("--method", default="auto",
                   help="interval method: auto (default), wilson, jeffreys, exact, clt, percentile, basic, bca")
    p.add_argument("--stratify", default=None, metavar="ROLE", help="resample within strata, e.g. task")
    _output_args(p)
    p.set_defaults(func=_cmd_leaderboard)

    p = sub.add_parser("compare", help="paired comparison of two models",
                       description="Paired comparison: ew.compare(rf, A, B, ci=, n_resamples=, seed=). "
                                   "Usage: compare PATH... A B, or compare --example A B.")
    _input_args(p)
    _resample_args(p)
    _output_args(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("significance", help="all pairwise comparisons with multiplicity correction",
                       description="All pairs: ew.significance(rf, correction=, n_resamples=, seed=).")
    _input_args(p)
    _resample_args(p, ci=False)
    p.add_argument("--correction", choices=("holm", "bh", "none"), default="holm",
                   help="multiple-comparison correction (default holm)")
    _output_args(p)
    p.set_defaults(func=_cmd_significance)

    p = sub.add_parser("power", help="items needed / detectable effect / power of a paired comparison",
                       description="Power planner: ew.power(n_items=, delta=, power=, alpha=, discordance=, "
                                   "sd_diff=). Give all but one of --n-items, --delta, --power.")
    p.add_argument("--n-items", type=int, default=None, help="number of items")
    p.add_argument("--delta", type=float, default=None, help="difference in mean score to detect")
    p.add_argument("--power", type=float, default=None, help="power (default 0.8 when solving for n or delta)")
    p.add_argument("--alpha", type=float, default=0.05, help="two-sided significance level (default 0.05)")
    p.add_argument("--discordance", type=float, default=None,
                   help="binary scores: share of items on which the two models disagree")
    p.add_argument("--sd-diff", type=float, default=None,
                   help="continuous scores: sd of the per-item score differences")
    _output_args(p)
    p.set_defaults(func=_cmd_power)
    return parser


# -- commands ------------------------------------------------------------------------------------
def _load(args: argparse.Namespace, paths: Sequence[str]):
    if args.example:
        if paths:
            raise ValueError(f"--example uses the embedded data; drop the path(s) {list(paths)}")
        data = ew.datasets.example()
        return data if isinstance(data, ew.ResultFrame) else ew.from_frame(data)
    if not paths:
        raise ValueError("no input: give a result file (or directory/glob), or --example for the embedded data")
    roles = {role: getattr(args, role) for role in _ROLE_FLAGS if getattr(args, role) is not None}
    source = paths[0] if len(paths) == 1 else list(paths)
    return ew.read(source, format=args.input_format, duplicates=args.duplicates, on_error=args.on_error, **roles)


def _cmd_leaderboard(args: argparse.Namespace):
    rf = _load(args, args.paths)
    res = ew.leaderboard(rf, ci=args.ci, method=args.method, n_resamples=args.n_resamples, seed=args.seed,
                         stratify=args.stratify)
    return res, rf


def _cmd_compare(args: argparse.Namespace):
    pos = list(args.paths)
    need = 2 if args.example else 3
    if len(pos) < need:
        raise ValueError("compare needs two model names: compare PATH A B (or compare --example A B)")
    paths, (a, b) = pos[:-2], pos[-2:]
    rf = _load(args, paths)
    res = ew.compare(rf, a, b, ci=args.ci, n_resamples=args.n_resamples, seed=args.seed)
    return res, rf


def _cmd_significance(args: argparse.Namespace):
    rf = _load(args, args.paths)
    res = ew.significance(rf, correction=args.correction, n_resamples=args.n_resamples, seed=args.seed)
    return res, rf


def _cmd_power(args: argparse.Namespace):
    kw: dict[str, Any] = {"alpha": args.alpha}
    for name in ("n_items", "delta", "power", "discordance", "sd_diff"):
        value = getattr(args, name)
        if value is not None:
            kw[name] = value
    if args.n_items is not None and args.delta is not None and args.power is None:
        kw["power"] = None  # solve for power
    return ew.power(**kw), None


# -- rendering -----------------------------------------------------------------------------------
def _fmt(v: Any, decimals: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return f"{0:.{decimals}f}"
        if v.is_integer() and 1e5 <= abs(v) < 1e15:
            return f"{v:,.0f}"
        if 1e-3 <= abs(v) < 1e5:
            return f"{v:.{decimals}f}"
        return f"{v:.3e}"
    return str(v)


def _decimals(values: list[Any]) -> int:
    """Fewest decimals (0-4) that show every float of a column as it shows with 4 (0.95 -> 2)."""
    floats = [v for v in values if isinstance(v, float) and math.isfinite(v) and 1e-3 <= abs(v) < 1e5]
    for d in range(5):
        if all(round(v, d) == round(v, 4) for v in floats):
            return d
    return 4


def _is_numeric_column(values: list[Any]) -> bool:
    vals = [v for v in values if v is not None]
    return bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)


def _cells(table) -> tuple[list[str], dict[str, list[str]], dict[str, bool]]:
    cols = list(table.columns)
    cells, numeric = {}, {}
    for c in cols:
        values = table[c].to_list()
        d = _decimals(values) if c in _SHORT_COLUMNS else 4
        cells[c] = [_fmt(v, d) for v in values]
        numeric[c] = _is_numeric_column(values)
    return cols, cells, numeric


def _text_table(table) -> str:
    cols, cells, numeric = _cells(table)
    width = {c: max([len(c), *map(len, cells[c])]) for c in cols}

    def line(values: dict[str, str]) -> str:
        return "  ".join(values[c].rjust(width[c]) if numeric[c] else values[c].ljust(width[c]) for c in cols).rstrip()

    out = [line({c: c for c in cols}), "  ".join("-" * width[c] for c in cols)]
    out += [line({c: cells[c][i] for c in cols}) for i in range(table.height)]
    return "\n".join(out)


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _markdown_table(table) -> str:
    cols, cells, numeric = _cells(table)
    out = ["| " + " | ".join(_md_cell(c) for c in cols) + " |",
           "|" + "|".join("---:" if numeric[c] else "---" for c in cols) + "|"]
    for i in range(table.height):
        out.append("| " + " | ".join(_md_cell(cells[c][i]) for c in cols) + " |")
    return "\n".join(out)


def _method_line(spec: dict[str, Any]) -> str:
    parts = []
    for key in _SPEC_KEYS:
        if key in spec and spec[key] is not None:
            v = spec[key]
            parts.append(f"{key}={v:,}" if isinstance(v, int) and not isinstance(v, bool) and v >= 10_000 else f"{key}={v}")
    return "method: " + (", ".join(parts) if parts else "(not recorded)")


def _input_line(rf) -> str:
    if rf is None:
        return ""
    s = rf.spec
    head = f"input: {s['n_models']} models x {s['n_items']:,} items, {s['n_rows']:,} rows"
    ex = rf.excluded
    if ex.height == 0:
        return head + "; excluded: none"
    return head + "; excluded: " + "; ".join(f"{reason}: {count:,}" for reason, count in zip(ex["reason"], ex["count"]))


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        try:
            return _json_safe(obj.item())
        except (TypeError, ValueError):
            pass
    if hasattr(obj, "to_dicts"):  # Polars frames in a spec
        return _json_safe(obj.to_dicts())
    return str(obj)


def render(result, rf, fmt: str) -> str:
    """Render a Result (and the input ResultFrame, if any) as text, csv, json or markdown."""
    table = result.table
    spec = dict(getattr(result, "spec", {}) or {})
    if fmt == "csv":
        return table.write_csv()
    if fmt == "json":
        doc = {
            "kind": getattr(result, "kind", None),
            "table": table.to_dicts(),
            "spec": spec,
            "excluded": rf.excluded.to_dicts() if rf is not None else [],
        }
        return json.dumps(_json_safe(doc), indent=2, allow_nan=False) + "\n"
    body = _markdown_table(table) if fmt == "markdown" else _text_table(table)
    tail = [_method_line(spec), _input_line(rf)]
    tail = [t for t in tail if t]
    if fmt == "markdown":
        return body + "\n\n" + "  \n".join(tail) + "\n"
    return body + "\n\n" + "\n".join(tail) + "\n"


# -- entry point ---------------------------------------------------------------------------------
def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) and type(exc) is KeyError:
        text = exc.args[0]
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _warning_printer(stream: TextIO) -> Callable[..., None]:
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        print(f"evalwidgets: warning: {' '.join(str(message).split())}", file=stream)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evalwidgets`` command; returns the exit status (0 ok, 2 usage or data error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    errors: tuple[type[BaseException], ...] = (ew.errors.EvalWidgetsError, ValueError, KeyError, OSError)
    with warnings.catch_warnings():
        warnings.showwarning = _warning_printer(sys.stderr)
        try:
            result, rf = args.func(args)
            text = render(result, rf, args.format)
            if args.output:
                with open(args.output, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
            else:
                sys.stdout.write(text)
        except errors as exc:
            print(f"evalwidgets: error: {_message(exc)}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
