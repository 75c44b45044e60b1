"""ew.read(): formats, sniffing, merging, lazy scans, error messages, on_error='skip', fuzzing.

References: round trips compare against the in-memory frame written by Polars (and validated by
ew.from_frame, whose own tests live in test_frame.py); real-data accuracies against the numbers
published in ../shared/data/mmlu_pro_29models/PROVENANCE.md (the `shared_data` fixture).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalwidgets as ew
from evalwidgets.errors import ColumnNotFoundError, DuplicateRowsError, EvalWidgetsError, SchemaError
from evalwidgets.io import ReadError, SourceNotFoundError

def _frame(n_models: int = 3, n_items: int = 40, seed: int = 0, *, binary: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    models = [f"model-{m}" for m in range(n_models)]
    rows = {
        "model": np.repeat(models, n_items).tolist(),
        "item": [f"q{i}" for i in range(n_items)] * n_models,
        "task": [("math", "code")[i % 2] for i in range(n_items)] * n_models,
        "score": (rng.integers(0, 2, n_models * n_items).astype(float) if binary
                  else rng.random(n_models * n_items).round(6)),
    }
    return pl.DataFrame(rows)


def _canon(rf) -> pl.DataFrame:
    cols = [c for c in ("model", "item", "task", "score") if c in rf.data.columns]
    return rf.data.select(cols).sort("model", "item")


WRITERS = {
    "x.csv": lambda df, p: df.write_csv(p),
    "x.tsv": lambda df, p: df.write_csv(p, separator="\t"),
    "x.parquet": lambda df, p: df.write_parquet(p),
    "x.json": lambda df, p: df.write_json(p),
    "x.jsonl": lambda df, p: df.write_ndjson(p),
    "x.ndjson": lambda df, p: df.write_ndjson(p),
}


# -- round trips -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(WRITERS))
def test_round_trip_each_format(tmp_path, name):
    df = _frame()
    path = tmp_path / name
    WRITERS[name](df, path)
    rf = ew.read(path, task="task")
    # reference: the frame that was written, validated in memory
    expected = _canon(ew.from_frame(df, task="task"))
    assert _canon(rf).equals(expected)
    assert rf.spec["sources"] == [str(path)]
    assert rf.spec["formats"] == [{"x.tsv": "tsv", "x.ndjson": "jsonl"}.get(name, name[2:])]
    assert "source_file" not in rf.data.columns  # one file: no provenance column
    np.testing.assert_array_equal(rf.data.sort("model", "item")["score"].to_numpy(),
                                  df.sort("model", "item")["score"].to_numpy())


@pytest.mark.parametrize("name", list(WRITERS))
def test_content_sniffing_for_unknown_extension(tmp_path, name):
    df = _frame(binary=True)
    path = tmp_path / "results.dat"
    WRITERS[name](df, path)
    rf = ew.read(path)
    want = {"x.csv": "csv", "x.tsv": "tsv", "x.parquet": "parquet", "x.json": "json",
            "x.jsonl": "jsonl", "x.ndjson": "jsonl"}[name]
    assert rf.spec["formats"] == [want]
    assert _canon(rf).equals(_canon(ew.from_frame(df)))


def test_semicolon_csv_and_jsonl_saved_as_json(tmp_path):
    df = _frame()
    df.write_csv(tmp_path / "semi.csv", separator=";")
    df.write_ndjson(tmp_path / "lines.json")
    ref = _canon(ew.from_frame(df))
    assert _canon(ew.read(tmp_path / "semi.csv")).equals(ref)
    assert _canon(ew.read(tmp_path / "lines.json")).equals(ref)


def test_explicit_format_overrides_extension(tmp_path):
    df = _frame()
    df.write_ndjson(tmp_path / "data.txt")
    rf = ew.read(tmp_path / "data.txt", format="ndjson")
    assert rf.spec["formats"] == ["jsonl"]
    assert _canon(rf).equals(_canon(ew.from_frame(df)))


def test_json_object_of_columns(tmp_path):
    df = _frame(n_items=5)
    (tmp_path / "cols.json").write_text(json.dumps(df.to_dict(as_series=False)))
    assert _canon(ew.read(tmp_path / "cols.json")).equals(_canon(ew.from_frame(df)))


def test_role_columns_and_types_are_robust_to_late_values(tmp_path):
    # 12,000 integer item ids, then "q-last"; integer scores, then 0.5: schema inference sees only the
    # first rows, so read() must ask for text ids and float scores.
    n = 12_000
    df = pl.DataFrame({"m": ["a"] * (n + 1), "id": [str(i) for i in range(n)] + ["q-last"],
                       "s": [1.0] * n + [0.5]})
    csv_text = "m,id,s\n" + "".join(f"a,{i},1\n" for i in range(n)) + "a,q-last,0.5\n"
    (tmp_path / "late.csv").write_text(csv_text)
    (tmp_path / "late.jsonl").write_text(
        "".join(json.dumps({"m": "a", "id": i, "s": 1}) + "\n" for i in range(n))
        + json.dumps({"m": "a", "id": "q-last", "s": 0.5}) + "\n")
    for name in ("late.csv", "late.jsonl"):
        rf = ew.read(tmp_path / name, model="m", item="id", score="s")
        assert rf.data.height == n + 1
        assert rf.data["item"][-1] == "q-last" and rf.data["score"][-1] == 0.5
        assert rf.data["score"].sum() == pytest.approx(df["s"].sum())


def test_pandas_and_arrow_inputs_through_from_frame():
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    df = _frame()
    ref = _canon(ew.from_frame(df, task="task"))
    assert _canon(ew.from_frame(df.to_pandas(), task="task")).equals(ref)
    assert _canon(ew.from_frame(pa.Table.from_pylist(df.to_dicts()), task="task")).equals(ref)
    assert _canon(ew.from_frame(pd.DataFrame(df.to_dict(as_series=False)), task="task")).equals(ref)


def test_read_rejects_in_memory_tables():
    with pytest.raises(TypeError, match=r"use ew.from_frame"):
        ew.read(_frame())


def test_unknown_role_keyword():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'modle'.*Did you mean 'model'"):
        ew.read("x.csv", modle="m")


# -- many files ----------------------------------------------------------------------------------
def _split_by_model(df: pl.DataFrame, tmp_path: Path, ext: str = "csv") -> list[Path]:
    paths = []
    for (m,), part in df.group_by("model", maintain_order=True):
        p = tmp_path / f"{m}.{ext}"
        WRITERS[f"x.{ext}"](part, p)
        paths.append(p)
    return paths


def test_glob_directory_and_list_merge(tmp_path):
    df = _frame(n_models=4)
    paths = _split_by_model(df, tmp_path)
    (tmp_path / ".hidden.csv").write_text("garbage")
    ref = _canon(ew.from_frame(df, task="task"))
    by_glob = ew.read(str(tmp_path / "*.csv"), task="task")
    by_dir = ew.read(tmp_path, task="task")
    by_list = ew.read([str(p) for p in paths] + [paths[0]], task="task")  # a repeated path is read once
    for rf in (by_glob, by_dir, by_list):
        assert _canon(rf).equals(ref)
        assert rf.data["source_file"].dtype == pl.Enum
        # provenance: every row's file is the file of its model
        prov = rf.data.select("model", pl.col("source_file").cast(pl.String)).unique()
        assert all(Path(f).stem == m for m, f in prov.iter_rows())
        assert len(rf.spec["sources"]) == 4


def test_mixed_formats_and_types_merge(tmp_path):
    df = _frame(n_models=3)
    parts = [part for _, part in df.group_by("model", maintain_order=True)]
    parts[0].write_csv(tmp_path / "a.csv")
    parts[1].with_columns(pl.col("score").cast(pl.Float32)).write_parquet(tmp_path / "b.parquet")
    parts[2].write_ndjson(tmp_path / "c.jsonl")
    rf = ew.read(tmp_path, task="task")
    assert sorted(rf.spec["formats"]) == ["csv", "jsonl", "parquet"]
    got = _canon(rf)
    exp = _canon(ew.from_frame(df, task="task"))
    assert got.select("model", "item", "task").equals(exp.select("model", "item", "task"))
    # Float32 round trip changes the 7th significant digit only
    np.testing.assert_allclose(got["score"].to_numpy(), exp["score"].to_numpy(), rtol=1e-6)


def test_recursive_directory_and_double_star_glob(tmp_path):
    df = _frame(n_models=2)
    for (m,), part in df.group_by("model"):
        (tmp_path / "runs" / m).mkdir(parents=True)
        part.write_parquet(tmp_path / "runs" / m / "results.parquet")
    ref = _canon(ew.from_frame(df))
    assert _canon(ew.read(tmp_path / "runs")).equals(ref)
    assert _canon(ew.read(str(tmp_path / "runs" / "**" / "*.parquet"))).equals(ref)


def test_duplicates_across_files_name_the_files(tmp_path):
    df = _frame(n_models=2)
    df.write_csv(tmp_path / "run.csv")
    df.write_parquet(tmp_path / "run_copy.parquet")
    with pytest.raises(DuplicateRowsError, match=r"occurs in 2 files: \[.*run.csv.*run_copy.parquet.*\]"):
        ew.read(tmp_path)
    rf = ew.read(tmp_path, duplicates="mean")
    assert rf.data.height == df.height
    ledger = dict(zip(rf.excluded["reason"], rf.excluded["count"]))
    assert ledger["duplicate rows averaged (duplicates='mean')"] == df.height


# -- laziness ----------------------------------------------------------------------------------
def _capture_from_frame(monkeypatch):
    import evalwidgets.io as io_mod

    seen = {}
    real = io_mod.from_frame

    def spy(df, **kw):
        seen["frame"] = df
        return real(df, **kw)

    monkeypatch.setattr(io_mod, "from_frame", spy)
    return seen


def test_parquet_is_scanned_lazily_and_only_role_columns_are_read(tmp_path, monkeypatch):
    df = _frame().with_columns(output=pl.lit("a long generated answer " * 20), tokens=pl.lit(123))
    df.write_parquet(tmp_path / "wide.parquet")
    seen = _capture_from_frame(monkeypatch)
    rf = ew.read(tmp_path / "wide.parquet")
    lf = seen["frame"]
    assert isinstance(lf, pl.LazyFrame)
    plan = lf.explain()
    assert "Parquet SCAN" in plan
    # projection pushdown: 3 of the file's 6 columns are read
    assert "PROJECT 3/6 COLUMNS" in plan, plan
    assert rf.data.columns == ["model", "item", "score"]


@pytest.mark.parametrize("name", ["x.csv", "x.jsonl"])
def test_csv_and_jsonl_are_scanned_lazily(tmp_path, monkeypatch, name):
    df = _frame().with_columns(output=pl.lit("payload"))
    WRITERS[name](df, tmp_path / name)
    seen = _capture_from_frame(monkeypatch)
    ew.read(tmp_path / name)
    plan = seen["frame"].explain()
    assert isinstance(seen["frame"], pl.LazyFrame)
    assert re.search(r"(Csv|NDJSON|NDJson|ndjson|JSON) SCAN", plan, re.I), plan
    assert "PROJECT 3/5 COLUMNS" in plan, plan


# -- errors --------------------------------------------------------------------------------------
def test_missing_file_is_named_with_suggestion(tmp_path):
    _frame().write_csv(tmp_path / "results.csv")
    with pytest.raises(SourceNotFoundError, match=r"no such file or directory: '.*reslts.csv'.*Did you mean 'results.csv'"):
        ew.read(tmp_path / "reslts.csv")
    with pytest.raises(FileNotFoundError):  # also catchable as the builtin
        ew.read(tmp_path / "nope" / "x.csv")


def test_glob_without_matches_and_empty_directory(tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"no files match the pattern '.*\*.parquet'"):
        ew.read(str(tmp_path / "*.parquet"))
    (tmp_path / "notes.md").write_text("# hi")
    with pytest.raises(SourceNotFoundError, match=r"has no files with a supported extension .*'notes.md'"):
        ew.read(tmp_path)


def test_unknown_format_lists_supported_and_fix(tmp_path):
    p = tmp_path / "blob.bin"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ReadError, match=r"cannot tell the format of '.*blob.bin' from its extension '.bin'") as info:
        ew.read(p)
    for listed in ("csv (.csv)", "tsv (.tsv, .tab)", "parquet (.parquet, .pq)", "json (.json)", "jsonl (.jsonl, .ndjson)"):
        assert listed in str(info.value)
    assert "format='csv')" in str(info.value)
    with pytest.raises(ReadError, match=r"format='xlsx' is not supported.*Supported formats"):
        ew.read(p, format="xlsx")
    with pytest.raises(ReadError, match=r"format='parqet' is not supported. Did you mean 'parquet'"):
        ew.read(p, format="parqet")


def test_missing_role_column_names_file_and_suggests(tmp_path):
    _frame().write_parquet(tmp_path / "r.parquet")
    with pytest.raises(ColumnNotFoundError, match=r"score='acc': no column 'acc' in '.*r.parquet'.*Columns are "
                                                  r"\['model', 'item', 'task', 'score'\]"):
        ew.read(tmp_path / "r.parquet", score="acc")
    with pytest.raises(ColumnNotFoundError, match=r"Did you mean 'task'"):
        ew.read(tmp_path / "r.parquet", task="tsak")


def test_nested_role_column_is_a_schema_error(tmp_path):
    (tmp_path / "n.jsonl").write_text('{"model": {"name": "a"}, "item": 1, "score": 1}\n')
    with pytest.raises(SchemaError, match=r"model='model' in '.*n.jsonl' holds nested values"):
        ew.read(tmp_path / "n.jsonl")


def test_empty_and_header_only_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ReadError, match=r"could not read '.*empty.csv' as csv: .*empty"):
        ew.read(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("model,item,score\n")
    with pytest.raises(EvalWidgetsError, match=r"empty \(0 rows\)"):
        ew.read(tmp_path / "header.csv")


def test_ragged_csv_line_is_located(tmp_path):
    (tmp_path / "r.csv").write_text("model,item,score\na,1,1\na,2,0\nb,1,1,extra\n")
    with pytest.raises(ReadError, match=r"could not read '.*r.csv' as csv: line 4 has 4 fields but the header has 3"):
        ew.read(tmp_path / "r.csv")


def test_non_utf8_csv(tmp_path):
    (tmp_path / "latin.csv").write_bytes("model,item,score\ncaf\xe9,1,1\n".encode("latin-1"))
    with pytest.raises(ReadError, match=r"latin.csv.*not UTF-8.*re-save it as UTF-8"):
        ew.read(tmp_path / "latin.csv")


GOOD = [{"model": "a", "item": i, "score": i % 2} for i in range(5)] + [{"model": "b", "item": i, "score": 1} for i in range(5)]


def _jsonl(records, tail: str = "") -> str:
    return "".join(json.dumps(r) + "\n" for r in records) + tail


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (_jsonl(GOOD[:3]) + '{"model": "a", "item": 3, "sc\n' + _jsonl(GOOD[3:]), r"line 4 is not valid JSON"),
        (_jsonl(GOOD, tail='{"model": "b", "item": 9, "sco'), r"line 11 is truncated"),
        (_jsonl(GOOD[:2]) + "[1, 2]\n" + _jsonl(GOOD[2:]), r"line 3 is a JSON list, not an object: '\[1, 2\]'"),
        (_jsonl(GOOD[:6]) + '{"model": "b", "item": 99, "score": NaN}\n', r"line 7 is not valid JSON \(NaN"),
        (_jsonl(GOOD[:2]) + '{"model": "a", "item": 9, "score": [1]}\n',
         r"line 3: field 'score' is a list but a scalar on line 1, so the column has no single type"),
        ("\n  \n", r"the file has no records \(it is empty or has only blank lines\)"),
    ],
)
def test_corrupt_jsonl_names_file_and_line(tmp_path, text, pattern):
    p = tmp_path / "run.jsonl"
    p.write_text(text)
    with pytest.raises(ReadError, match=r"could not read '.*run.jsonl' as jsonl: " + pattern):
        ew.read(p)


def test_corrupt_jsonl_deep_in_a_large_file(tmp_path):
    # the bad line comes after schema inference (10,000 rows): the error surfaces at collect time
    recs = [{"model": "a", "item": i, "score": 1} for i in range(15_000)]
    p = tmp_path / "big.jsonl"
    p.write_text(_jsonl(recs[:12_345]) + "{not json}\n" + _jsonl(recs[12_345:]))
    with pytest.raises(ReadError, match=r"big.jsonl' as jsonl: line 12346 is not valid JSON"):
        ew.read(p)


def test_corrupt_json_array_reports_line_and_column(tmp_path):
    p = tmp_path / "arr.json"
    p.write_text('[\n {"model": "a", "item": 1, "score": 1},\n {"model": "a" "item": 2}\n]')
    with pytest.raises(ReadError, match=r"arr.json' as json: invalid JSON at line 3, column 16 \(Expecting ',' delimiter\)"):
        ew.read(p)


def test_corrupt_parquet(tmp_path):
    _frame().write_parquet(tmp_path / "r.parquet")
    raw = (tmp_path / "r.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ReadError, match=r"could not read '.*cut.parquet' as parquet"):
        ew.read(tmp_path / "cut.parquet")


# -- on_error="skip" -----------------------------------------------------------------------------
def test_on_error_skip_counts_bad_files(tmp_path):
    df = _frame(n_models=3)
    paths = _split_by_model(df, tmp_path, ext="jsonl")
    (tmp_path / "broken.jsonl").write_text(_jsonl(GOOD[:2]) + '{"model": "z", "it\n')
    (tmp_path / "other.jsonl").write_text(_jsonl([{"llm": "x", "q": 1, "acc": 1}]))  # lacks the roles
    with pytest.raises(ReadError, match=r"broken.jsonl' as jsonl: line 3"):
        ew.read(tmp_path)
    rf = ew.read(tmp_path, on_error="skip")
    assert _canon(rf).equals(_canon(ew.from_frame(df)))
    row = rf.excluded.filter(pl.col("reason").str.starts_with("unreadable files skipped"))
    assert row["count"].to_list() == [2]
    assert "broken.jsonl" in row["example"][0] and "line 3" in row["example"][0]
    skipped = {Path(s["path"]).name for s in rf.spec["skipped_files"]}
    assert skipped == {"broken.jsonl", "other.jsonl"}
    assert "unreadable files skipped" in repr(rf)
    # missing paths in a list are skipped (and counted) too
    rf2 = ew.read([*map(str, paths), str(tmp_path / "gone.jsonl")], on_error="skip")
    assert rf2.excluded.filter(pl.col("reason").str.starts_with("unreadable"))["count"].to_list() == [1]


def test_on_error_skip_with_nothing_readable_raises(tmp_path):
    (tmp_path / "a.jsonl").write_text("{oops\n")
    (tmp_path / "b.jsonl").write_text("[1]\n")
    with pytest.raises(ReadError, match=r"none of the 2 files could be read .*a.jsonl.*b.jsonl"):
        ew.read(tmp_path, on_error="skip")
    with pytest.raises(ReadError, match=r"a.jsonl' as jsonl: line 1"):  # one file: its own error
        ew.read(tmp_path / "a.jsonl", on_error="skip")


def test_on_error_validation():
    with pytest.raises(ValueError, match=r"on_error='ignore': use 'raise' or 'skip'"):
        ew.read("x.csv", on_error="ignore")


# -- fuzzing -------------------------------------------------------------------------------------
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=5))
_json_value = st.recursive(_json_scalar, lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=4), ch, max_size=3),
                           max_leaves=6)
_record = st.fixed_dictionaries(
    {"model": st.sampled_from(["a", "b", "c"]), "item": st.integers(0, 6), "score": st.sampled_from([0, 1, 0.5])})
_odd_record = st.fixed_dictionaries({"model": _json_value, "item": _json_value, "score": _json_value})


@st.composite
def _jsonl_bytes(draw):
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["good", "good", "odd", "truncated", "value", "text", "blank", "bytes"]))
        if kind == "good":
            lines.append(json.dumps(draw(_record)).encode())
        elif kind == "odd":
            lines.append(json.dumps(draw(_odd_record)).encode())
        elif kind == "truncated":
            s = json.dumps(draw(_record)).encode()
            lines.append(s[: draw(st.integers(0, len(s) - 1))])
        elif kind == "value":
            lines.append(json.dumps(draw(_json_value)).encode())
        elif kind == "text":
            lines.append(draw(st.text(max_size=12)).encode("utf-8", errors="surrogatepass"))
        elif kind == "blank":
            lines.append(b"   ")
        else:
            lines.append(draw(st.binary(max_size=12)))
    end = draw(st.sampled_from([b"\n", b""]))
    return b"\n".join(lines) + end


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=_jsonl_bytes())
def test_fuzz_jsonl_loads_or_raises_domain_error(tmp_path, content):
    p = tmp_path / "fuzz.jsonl"
    p.write_bytes(content)
    try:
        rf = ew.read(p, duplicates="mean")
    except EvalWidgetsError as exc:
        assert str(exc)  # a message, never a raw Polars error or panic
        return
    # loaded: the data are what the valid lines say (reference: Python's json module)
    assert rf.data.height >= 1
    assert set(rf.data.columns) >= {"model", "item", "score"}


# -- real data -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_mmlu_pro_strict_accuracy_through_each_format(tmp_path, shared_data, fmt):
    MMLU = shared_data / "mmlu_pro_29models"
    if not (MMLU / "predictions_wide.csv").exists():
        pytest.skip(f"MMLU-Pro data not found in {MMLU}")
    items = pl.read_csv(MMLU / "items.csv", schema_overrides={"question_id": pl.String})
    wide = pl.read_csv(MMLU / "predictions_wide.csv", infer_schema=False)
    long = (wide.unpivot(index="question_id", variable_name="model", value_name="pred")
            .join(items.select("question_id", "category", "answer"), on="question_id")
            .with_columns(correct=(pl.col("pred") == pl.col("answer")).fill_null(False).cast(pl.Int8)))
    # one file per model, like a results directory
    for (m,), part in long.group_by("model"):
        WRITERS[f"x.{fmt}"](part, tmp_path / f"{m}.{fmt}")
    rf = ew.read(tmp_path, model="model", item="question_id", score="correct", category="category")
    assert rf.n_models == 29 and rf.n_items == 12_032
    acc = dict(rf.data.group_by("model").agg(pl.col("score").mean() * 100).iter_rows())
    # PROVENANCE.md "Strict accuracies from this data": reported to 2 decimals
    published = {"gemini-1.5-pro-002": 70.04, "gemini-1.5-flash-002": 63.80, "Meta-Llama-3_1-70B-Instruct": 62.80,
                 "DeepSeek-Coder-V2": 54.74, "Meta-Llama-3_1-70B": 52.46, "Meta-Llama-3-70B": 52.01,
                 "Mixtral-8x7B-Instruct-v0.1": 41.89, "gemma-7b": 32.36, "Mistral-7B-v0.1": 29.77,
                 "Llama-2-7b-hf": 18.34}
    for model, value in published.items():
        assert acc[model] == pytest.approx(value, abs=0.005 + 1e-9), model


def test_same_column_for_two_roles_and_extra_columns(tmp_path):
    df = _frame().with_columns(length=pl.int_range(pl.len()))
    df.write_parquet(tmp_path / "r.parquet")
    with pytest.raises(SchemaError, match=r"column 'model' is given for two roles \('model' and 'item'\)"):
        ew.read(tmp_path / "r.parquet", item="model")
    rf = ew.read(tmp_path / "r.parquet", extra=["length"])
    assert rf.data["length"].to_list() == df["length"].to_list()
    with pytest.raises(ColumnNotFoundError, match=r"extra='lenght'.*Did you mean 'length'"):
        ew.read(tmp_path / "r.parquet", extra=["lenght"])


def test_format_registry_accepts_new_formats(tmp_path, monkeypatch):
    # the door for harness formats: a reader that returns canonical columns and declares its roles
    from evalwidgets.io import _registry
    from evalwidgets.io import Format, register_format

    monkeypatch.setattr(_registry, "_FORMATS", dict(_registry._FORMATS))
    monkeypatch.setattr(_registry, "_ALIASES", dict(_registry._ALIASES))

    def scan_toy(path, *, strings=(), floats=()):
        rows = [line.split(":") for line in Path(path).read_text().split()]
        return pl.DataFrame({"model": [r[0] for r in rows], "item": [r[1] for r in rows],
                             "score": [float(r[2]) for r in rows], "task": ["toy"] * len(rows)})

    register_format(Format(name="toy", extensions=(".toy",), scan=scan_toy,
                           sniff=lambda path, head: head.startswith(b"TOY") or b":" in head[:40],
                           default_roles={"task": "task"}, priority=40))
    (tmp_path / "a.toy").write_text("m1:i1:1 m1:i2:0 m2:i1:1 m2:i2:1")
    rf = ew.read(tmp_path / "a.toy")
    assert rf.spec["formats"] == ["toy"] and rf.roles["task"] == "task"
    assert rf.data["score"].to_list() == [1.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"format name 'toy' is already registered"):
        register_format(Format(name="other", extensions=(".o",), scan=scan_toy, aliases=("toy",)))


def test_schema_errors_in_merged_files_name_the_file(tmp_path):
    df = _frame(n_models=3)
    parts = [part for _, part in df.group_by("model", maintain_order=True)]
    parts[0].write_csv(tmp_path / "a.csv")
    parts[1].with_columns(pl.when(pl.col("item") == "q3").then(pl.lit("oops")).otherwise(pl.col("score").cast(pl.String))
                          .alias("score")).write_csv(tmp_path / "b.csv")
    parts[2].write_csv(tmp_path / "c.csv")
    # row 3 of b.csv's rows (0-based), not of the merged table
    with pytest.raises(SchemaError, match=r"in '.*b.csv': score='score' is not numeric: 1 values .*\(row 3: 'oops'\)"):
        ew.read(tmp_path)
