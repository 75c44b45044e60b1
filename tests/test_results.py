"""Result objects: the static HTML twin escapes user-supplied text, row cap from ew.options."""
from __future__ import annotations

import polars as pl

import evalwidgets as ew

EVIL = '<script>alert("x")</script>&<b>'


def _rf():
    df = pl.DataFrame({"model": [EVIL] * 30 + ["plain"] * 30, "item": list(range(30)) * 2,
                       "score": [1, 0, 1] * 10 + [0, 0, 1] * 10})
    return ew.from_frame(df)


def test_result_html_escapes_model_names():
    html = ew.leaderboard(_rf(), n_resamples=200)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&amp;&lt;b&gt;" in html


def test_resultframe_html_escapes_and_reports_exclusions():
    df = pl.DataFrame({"model": [EVIL, EVIL, "b", "b"], "item": [1, 2, 1, 2], "score": [1.0, None, 0.0, 1.0]})
    rf = ew.from_frame(df)
    html = rf._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "null score: 1" in html


def test_html_row_cap_follows_options():
    rf = ew.datasets.simulate_binary(n_models=8, n_items=50, seed=0)
    lb = ew.leaderboard(rf, n_resamples=100)
    with ew.options(max_html_rows=3):
        html = lb._repr_html_()
    assert html.count("<tr>") == 1 + 3  # header + 3 rows
    assert "5 more rows" in html
