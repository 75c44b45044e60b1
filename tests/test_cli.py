"""The `evalwidgets` command: argument plumbing, rendering, error handling, the console script.

The CLI only calls the public API, so its reference is the same public call made directly
(ew.leaderboard/compare/significance/power with the same arguments). Analyses that have not landed
yet are skipped (only for a missing public attribute), so these tests start to run when they do.
"""
from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import polars as pl
import pytest

import evalwidgets as ew
from evalwidgets.cli import main, render
from evalwidgets.stats.results import Result

LEADERBOARD_COLUMNS = ["model", "score", "se", "ci_low", "ci_high", "n_items", "method", "level", "rank",
                       "rank_low", "rank_high", "p_best", "tier"]


def _require(*names: str):
    """Resolve public names; skip (only) when one is not implemented yet."""
    out = []
    for name in names:
        target = name.split(".")
        try:
            obj = getattr(ew, target[0])
            for part in target[1:]:
                obj = getattr(obj, part)
        except AttributeError as exc:
            pytest.skip(f"ew.{name} is not implemented yet ({exc})")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("evalwidgets"):
                pytest.skip(f"ew.{name} is not implemented yet (no module {exc.name})")
            raise
        out.append(obj)
    return out[0] if len(out) == 1 else out


def run(argv, capsys):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.fixture
def small_csv(tmp_path):
    """3 models x 30 items with custom column names and one null score."""
    rows = []
    for m, p in (("alpha", 0.8), ("beta", 0.6), ("gamma", 0.3)):
        for i in range(30):
            rows.append({"llm": m, "qid": f"q{i}", "acc": float((i * 7 + len(m)) % 10 < p * 10), "grp": f"g{i % 3}"})
    rows[5]["acc"] = None
    path = tmp_path / "res.csv"
    pl.DataFrame(rows).write_csv(path)
    return path


ROLE_ARGS = ["--model", "llm", "--item", "qid", "--score", "acc"]


# -- plumbing with stand-in analyses (independent of the statistics) ------------------------------
def _fake_result(kind="leaderboard"):
    table = pl.DataFrame({"model": ["a", "bb"], "score": [0.5, float("nan")], "p_value": [1.2e-9, 0.05],
                          "level": [0.95, 0.95], "n_items": [10, 1200], "significant": [True, False]})
    return Result(kind, table, {"method": "percentile", "level": 0.95, "n_resamples": 20_000, "seed": 7,
                                "versions": {"numpy": "x"}})


def test_text_rendering_is_aligned_with_method_and_exclusion_lines(small_csv, capsys, monkeypatch):
    seen = {}

    def fake_leaderboard(rf, **kw):
        seen.update(kw, rf=rf)
        warnings.warn("n is small for the CLT", UserWarning)
        return _fake_result()

    monkeypatch.setitem(vars(ew), "leaderboard", fake_leaderboard)
    rc, out, err = run(["leaderboard", small_csv, *ROLE_ARGS, "--ci", "0.9", "--method", "bca",
                        "--n-resamples", "123", "--seed", "5", "--stratify", "task"], capsys)
    assert rc == 0
    # the CLI passed exactly the parsed options through the public API
    assert {k: seen[k] for k in ("ci", "method", "n_resamples", "seed", "stratify")} == {
        "ci": 0.9, "method": "bca", "n_resamples": 123, "seed": 5, "stratify": "task"}
    assert seen["rf"].roles == {"model": "llm", "item": "qid", "score": "acc"}
    lines = out.splitlines()
    assert lines[0].split() == ["model", "score", "p_value", "level", "n_items", "significant"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["a", "0.5000", "1.200e-09", "0.95", "10", "true"]
    assert lines[3].split() == ["bb", "NaN", "0.0500", "0.95", "1200", "false"]
    # columns line up under the dashes; numbers are right-aligned, text left-aligned
    spans, start = [], 0
    for dashes in lines[1].split("  "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 2
    for ln in (lines[2], lines[3]):
        cells = [ln.ljust(start)[a:b] for a, b in spans]
        assert cells[0] == cells[0].strip().ljust(len(cells[0]))  # model: left
        assert all(c == c.strip().rjust(len(c)) for c in cells[1:5])  # numbers: right
    assert "method: method=percentile, level=0.95, n_resamples=20,000, seed=7" in out
    assert "input: 3 models x 30 items, 89 rows; excluded: null score: 1; item missing for some models: 1" in out
    assert err.strip() == "evalwidgets: warning: n is small for the CLT"


def test_json_csv_markdown_and_output_file(small_csv, capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(vars(ew), "leaderboard", lambda rf, **kw: _fake_result())
    rc, out, _ = run(["leaderboard", small_csv, *ROLE_ARGS, "--format", "json"], capsys)
    doc = json.loads(out)  # strict JSON: NaN becomes null
    assert doc["kind"] == "leaderboard"
    assert doc["table"][1]["score"] is None and doc["table"][0]["p_value"] == 1.2e-9
    assert doc["spec"]["seed"] == 7
    assert doc["excluded"][0] == {"reason": "null score", "count": 1, "example": "model='alpha', item='q5'"}
    assert doc["excluded"][1]["reason"] == "item missing for some models"  # the null left a missing cell

    rc, out, _ = run(["leaderboard", small_csv, *ROLE_ARGS, "--format", "csv"], capsys)
    back = pl.read_csv(io.StringIO(out))
    assert back.columns == _fake_result().table.columns and back.height == 2

    rc, out, _ = run(["leaderboard", small_csv, *ROLE_ARGS, "--format", "markdown"], capsys)
    md = out.splitlines()
    assert md[0] == "| model | score | p_value | level | n_items | significant |"
    assert md[1] == "|---|---:|---:|---:|---:|---|"
    assert md[2] == "| a | 0.5000 | 1.200e-09 | 0.95 | 10 | true |"

    target = tmp_path / "out.md"
    rc, out, err = run(["leaderboard", small_csv, *ROLE_ARGS, "--format", "markdown", "-o", target], capsys)
    assert rc == 0 and out == "" and err == ""
    assert target.read_text().splitlines()[:3] == md[:3]


def test_power_arguments_are_passed_through(capsys, monkeypatch):
    seen = {}

    def fake_power(**kw):
        seen.clear()
        seen.update(kw)
        return Result("power", pl.DataFrame({"n_items": [100], "delta": [0.05], "power": [0.8], "alpha": [0.05],
                                             "method": ["mcnemar"]}), {"method": "mcnemar"})

    monkeypatch.setitem(vars(ew), "power", fake_power)
    rc, out, _ = run(["power", "--delta", "0.05", "--discordance", "0.2"], capsys)
    assert rc == 0 and seen == {"alpha": 0.05, "delta": 0.05, "discordance": 0.2}
    assert "input:" not in out and "method: method=mcnemar" in out
    rc, out, _ = run(["power", "--n-items", "500", "--delta", "0.05", "--sd-diff", "0.4", "--alpha", "0.01"], capsys)
    # n and delta given, power not: solve for power
    assert seen == {"alpha": 0.01, "n_items": 500, "delta": 0.05, "power": None, "sd_diff": 0.4}


def test_compare_positional_parsing(small_csv, capsys, monkeypatch):
    seen = {}

    def fake_compare(rf, a, b, **kw):
        seen.update(a=a, b=b, models=rf.models, **kw)
        return _fake_result("compare")

    monkeypatch.setitem(vars(ew), "compare", fake_compare)
    rc, _, _ = run(["compare", small_csv, "alpha", "beta", *ROLE_ARGS, "--seed", "3"], capsys)
    assert rc == 0
    assert (seen["a"], seen["b"], seen["models"], seen["seed"], seen["ci"]) == ("alpha", "beta", ["alpha", "beta", "gamma"], 3, 0.95)
    rc, _, err = run(["compare", small_csv, "alpha", *ROLE_ARGS], capsys)
    assert rc == 2 and "compare needs two model names" in err


# -- errors ----------------------------------------------------------------------------------
def _one_line_error(rc, out, err):
    assert rc == 2
    assert out == ""
    assert err.startswith("evalwidgets: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_missing_file_error(tmp_path, capsys):
    err = _one_line_error(*run(["leaderboard", tmp_path / "nope.csv"], capsys))
    assert "no such file or directory" in err and "nope.csv" in err


def test_missing_column_error_suggests(small_csv, capsys):
    err = _one_line_error(*run(["leaderboard", small_csv, "--model", "lm", "--item", "qid", "--score", "acc"], capsys))
    assert "model='lm': no column 'lm'" in err and "Did you mean 'llm'" in err


def test_corrupt_jsonl_error_names_line(tmp_path, capsys):
    p = tmp_path / "r.jsonl"
    p.write_text('{"model": "a", "item": 1, "score": 1}\n{"model": "b", "item\n')
    err = _one_line_error(*run(["leaderboard", p], capsys))
    assert "r.jsonl' as jsonl: line 2" in err


def test_no_input_and_bad_flags(capsys):
    err = _one_line_error(*run(["leaderboard"], capsys))
    assert "--example" in err
    with pytest.raises(SystemExit) as info:
        main(["leaderboard", "--example", "--format", "xml"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"evalwidgets {ew.__version__}"


# -- with the real analyses ------------------------------------------------------------------------
def _table_from_text(out: str) -> list[list[str]]:
    lines = out.split("\n\n")[0].splitlines()
    return [ln.split() for ln in lines[2:]]


def test_leaderboard_example_matches_the_api(capsys):
    leaderboard, example = _require("leaderboard", "datasets.example")
    rc, out, err = run(["leaderboard", "--example", "--n-resamples", "400", "--seed", "1"], capsys)
    assert rc == 0, err
    ref = leaderboard(example(), ci=0.95, method="auto", n_resamples=400, seed=1, stratify=None).table
    assert out.splitlines()[0].split() == LEADERBOARD_COLUMNS
    rows = _table_from_text(out)
    assert [r[0] for r in rows] == ref["model"].to_list()
    assert [int(r[LEADERBOARD_COLUMNS.index("rank")]) for r in rows] == ref["rank"].to_list()
    assert [float(r[1]) for r in rows] == pytest.approx(ref["score"].to_list(), abs=5e-5)  # printed to 4 decimals
    assert "seed=1" in out and "excluded: none" in out

    rc, out, _ = run(["leaderboard", "--example", "--n-resamples", "400", "--seed", "1", "--format", "json"], capsys)
    doc = json.loads(out)
    assert [r["ci_low"] for r in doc["table"]] == pytest.approx(ref["ci_low"].to_list(), rel=1e-12)


def test_leaderboard_file_with_roles(small_csv, capsys):
    leaderboard = _require("leaderboard")
    rc, out, err = run(["leaderboard", small_csv, *ROLE_ARGS, "--n-resamples", "300", "--format", "csv"], capsys)
    assert rc == 0, err
    got = pl.read_csv(io.StringIO(out))
    ref = leaderboard(ew.read(small_csv, model="llm", item="qid", score="acc"), n_resamples=300, seed=0).table
    assert got["model"].to_list() == ref["model"].to_list()
    assert got["ci_high"].to_list() == pytest.approx(ref["ci_high"].to_list(), rel=1e-12)


def test_compare_and_significance_match_the_api(small_csv, capsys):
    compare, significance = _require("compare", "significance")
    rc, out, err = run(["compare", small_csv, "alpha", "gamma", *ROLE_ARGS, "--n-resamples", "300", "--format", "json"], capsys)
    assert rc == 0, err
    rf = ew.read(small_csv, model="llm", item="qid", score="acc")
    ref = compare(rf, "alpha", "gamma", ci=0.95, n_resamples=300, seed=0).table
    doc = json.loads(out)
    assert doc["table"][0]["model_a"] == "alpha" and doc["table"][0]["delta"] == pytest.approx(ref["delta"][0])
    assert doc["table"][0]["p_value"] == pytest.approx(ref["p_value"][0])

    rc, out, err = run(["significance", small_csv, *ROLE_ARGS, "--correction", "bh", "--n-resamples", "300",
                        "--format", "csv"], capsys)
    assert rc == 0, err
    got = pl.read_csv(io.StringIO(out))
    ref = significance(rf, correction="bh", n_resamples=300, seed=0).table
    assert got.height == 3  # 3 models -> 3 pairs
    assert got["p_adjusted"].to_list() == pytest.approx(ref["p_adjusted"].to_list())

    err = _one_line_error(*run(["compare", small_csv, "alpha", "gamm", *ROLE_ARGS], capsys))
    assert "gamm" in err


def test_power_matches_the_api(capsys):
    power = _require("power")
    rc, out, err = run(["power", "--delta", "0.05", "--discordance", "0.2", "--format", "json"], capsys)
    assert rc == 0, err
    ref = power(delta=0.05, discordance=0.2, alpha=0.05).table
    assert json.loads(out)["table"][0]["n_items"] == ref["n_items"][0]


# -- the installed console script ----------------------------------------------------------------
def _console_script() -> Path:
    exe = Path(sys.executable).parent / ("evalwidgets.exe" if sys.platform == "win32" else "evalwidgets")
    if not exe.exists():
        pytest.skip(f"console script not installed next to {sys.executable} (pip install -e . creates it)")
    return exe


def test_console_script(small_csv):
    exe = _console_script()
    res = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == f"evalwidgets {ew.__version__}"
    res = subprocess.run([str(exe), "leaderboard", str(small_csv), "--model", "nope"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("evalwidgets: error: model='nope'") and "Traceback" not in res.stderr
    try:
        importlib.import_module("evalwidgets.stats.ranking").leaderboard  # noqa: B018
    except (ImportError, AttributeError):
        return
    res = subprocess.run([str(exe), "leaderboard", str(small_csv), *ROLE_ARGS, "--n-resamples", "200"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].split() == LEADERBOARD_COLUMNS
    assert "excluded: null score: 1" in res.stdout


def test_render_is_public_and_pure():
    text = render(_fake_result(), None, "text")
    assert text.endswith("method: method=percentile, level=0.95, n_resamples=20,000, seed=7\n")
