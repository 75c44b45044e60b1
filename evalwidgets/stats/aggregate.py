"""Aggregate metrics over tasks with stratified-bootstrap intervals (rliable style).

Agarwal, Schwarzer, Castro, Courville & Bellemare (2021), "Deep Reinforcement Learning at the Edge
of the Statistical Precipice" (NeurIPS), and its library ``rliable``: report the interquartile mean
(IQM), mean, median and optimality gap across tasks with percentile intervals from a bootstrap that
resamples runs *within* each task (stratified bootstrap).

Resampling units
----------------
The strata are the values of the ``stratify`` column (the ``task`` role). Within a task:

* **rliable layout** — every task has a single item and the frame has a ``sample`` role (several
  runs/seeds per task): the runs are the units. This is exactly rliable's ``(num_runs x num_tasks)``
  score matrix, with ``item`` naming the task's single evaluation.
* **otherwise** the task's items are the units and an item's score is the mean over its nested
  samples/prompts/judges (as :meth:`ResultFrame.matrix` gives), because items, not repeated samples
  of one item, are the independent draws. (In a mix of the two layouts, a task with a single item
  is then one unit and adds no resampling variability; ``spec["units_per_task"]`` shows this.)

Each replicate draws, in every task, as many units as the task has, with replacement; the same draw
is applied to every model (paired; each model's marginal interval is the same as resampling it
alone, as rliable does).

Metrics (rliable's ``metrics.py`` on a rectangle; the natural extension for ragged tasks)
-------------------------------------------------------------------------------------------
``mean``
    Mean over tasks of the per-task mean (tasks weigh equally whatever their size).
``median``
    Median over tasks of the per-task mean.
``iqm``
    ``scipy.stats.trim_mean(x, 0.25)`` of all units of all tasks pooled (each unit counts once, so
    with ragged tasks a task with more units weighs more, as in rliable's pooled runs x tasks).
``optimality_gap``
    ``gamma - `` the mean over tasks of the per-task mean of ``min(x, gamma)``; on a rectangle this
    is rliable's ``gamma - mean(min(scores, gamma))`` and it equals ``gamma - mean`` when every
    score is at most ``gamma``.

Missing cells: a model's statistics use the units it has (drawn with everyone else's); a model with
no unit at all in some task cannot have a per-task mean and is an error. A replicate in which a
model draws none of its units in some task is undefined for that model; such replicates are left
out of its interval, counted in ``spec["undefined_replicates"]`` and warned about.
"""
from __future__ import annotations

import functools
import warnings
from typing import Literal, Sequence, Union

import numpy as np
import polars as pl

from ..errors import ColumnNotFoundError, DegenerateDataWarning, InsufficientDataError, SchemaError, did_you_mean
from ._validate import check_level, check_resamples, check_rf, check_seed
from .results import Result, versions

__all__ = ["aggregate", "METRICS"]

MetricName = Literal["mean", "median", "iqm", "optimality_gap"]
METRICS: tuple[str, ...] = ("mean", "median", "iqm", "optimality_gap")  # index = kernel code
_PARALLEL_WORK = 500_000  # B * units * models above which replicates run on all threads
_versions = functools.lru_cache(maxsize=1)(versions)  # package versions do not change within a process
_REFERENCE = ("Agarwal et al. (2021), Deep Reinforcement Learning at the Edge of the Statistical Precipice, "
              "NeurIPS; rliable")


def _check_metrics(metric) -> list[str]:
    names = [metric] if isinstance(metric, str) else metric
    try:
        names = list(names)
    except TypeError:
        raise TypeError(f"metric={metric!r} must be one of {list(METRICS)} or a tuple of them, "
                        "e.g. metric=('iqm', 'mean').") from None
    if not names:
        raise ValueError(f"metric={metric!r} is empty. Fix: metric='iqm' or metric=('iqm', 'mean').")
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in METRICS:
            hint = did_you_mean(name, METRICS) if isinstance(name, str) else ""
            raise ValueError(f"metric={name!r} is not an aggregate metric.{hint} "
                             f"Choose from {list(METRICS)}, e.g. metric=('iqm', 'mean').")
        if name not in out:
            out.append(name)
    return out


def _check_stratify(rf, stratify) -> str:
    if stratify is None or not isinstance(stratify, str):
        raise TypeError(f"stratify={stratify!r} must name the task column of the frame (default 'task'): the "
                        "aggregate metrics are defined over tasks. Fix: ew.from_frame(df, ..., task='<task "
                        "column>') and call ew.aggregate(rf) with stratify='task'.")
    cols = rf.data.columns
    if stratify not in cols:
        extra = did_you_mean(stratify, [c for c in cols if c not in ("model", "item", "score")])
        raise ColumnNotFoundError(
            f"stratify={stratify!r}: the ResultFrame has no {stratify!r} column.{extra} Its columns are "
            f"{cols}. Fix: pass task=... to from_frame, e.g. rf = ew.from_frame(df, model='model', "
            f"item='item', score='score', task='<task column>'), then ew.aggregate(rf, stratify='task').")
    if stratify in ("model", "item", "score", "sample"):
        raise ValueError(f"stratify={stratify!r} is the {stratify!r} role, not a grouping of items into tasks. "
                         "Fix: stratify='task' (the task role).")
    n_null = rf.data[stratify].null_count()
    if n_null:
        raise SchemaError(f"stratify={stratify!r} has {n_null:,} null values; every item needs a task. Fix: "
                          f"rf.data.with_columns(pl.col({stratify!r}).fill_null('other')) and rebuild the frame.")
    return stratify


def _build_units(rf, stratify: str):
    """Unit x model arrays grouped by stratum.

    Returns ``X`` (M, U) scores (NaN where absent), ``strata_ptr`` (S+1,), stratum labels, the unit
    kind (``"item"`` or ``"sample"``) and the number of units per stratum. Units are ordered by
    (stratum label, item first appearance, sample), so for item units the draws coincide with the
    shared engine's stratified bootstrap of ``rf.matrix()``.
    """
    d = rf.data
    items = rf.spec["items"]
    exprs = [pl.col("model").cast(pl.Enum(rf.models)).to_physical().cast(pl.Int64).alias("m"),
             pl.col("item").cast(pl.Enum(items)).to_physical().cast(pl.Int64).alias("i"),
             (pl.col(stratify).rank("dense") - 1).cast(pl.Int64).alias("t")]
    if rf.has("sample"):
        exprs.append((pl.col("sample").rank("dense") - 1).cast(pl.Int64).alias("s"))
    codes = d.select(exprs)
    m = codes["m"].to_numpy()
    i = codes["i"].to_numpy()
    t = codes["t"].to_numpy()
    score = d["score"].to_numpy()
    t_first = np.unique(t, return_index=True)[1]  # codes are dense ranks 0..T-1 of the sorted labels
    labels = [str(v) for v in d.get_column(stratify).gather(t_first).to_list()]
    N, T = len(items), len(labels)
    task_of_item = np.full(N, -1, np.int64)
    task_of_item[i] = t
    clash = task_of_item[i] != t
    if clash.any():
        bad_items = np.unique(i[clash])
        bad = items[int(bad_items[0])]
        vals = d.filter(pl.col("item") == bad)[stratify].unique().to_list()
        raise SchemaError(
            f"item {bad!r} belongs to {len(vals)} different {stratify!r} values ({vals[:3]}); {bad_items.size:,} "
            f"items are in several tasks. Each item must belong to one task. Fix: make item ids unique per task, "
            f"e.g. df.with_columns(item=pl.concat_str(['{stratify}', 'item'], separator='/')).")
    items_per_task = np.bincount(task_of_item, minlength=T)
    rliable_layout = rf.has("sample") and int(items_per_task.max()) == 1
    if rliable_layout:
        smp = codes["s"].to_numpy()
        n_s = int(smp.max()) + 1
        raw = (t * N + i) * n_s + smp
    else:
        raw = t * N + i
    ukeys, u = np.unique(raw, return_inverse=True)  # sorted by (task, item position, sample)
    U, M = ukeys.shape[0], rf.n_models
    # cell = mean over the rows of (model, unit): nested prompts/judges (and samples for item units)
    cell = m * U + u.reshape(-1)
    tot = np.bincount(cell, weights=score, minlength=M * U)
    cnt = np.bincount(cell, minlength=M * U)
    with np.errstate(invalid="ignore", divide="ignore"):
        X = (tot / cnt).reshape(M, U)  # NaN where absent
    unit_task = ukeys // (N * n_s) if rliable_layout else ukeys // N
    n_per = np.bincount(unit_task, minlength=T).astype(np.int64)
    strata_ptr = np.concatenate([[0], np.cumsum(n_per)]).astype(np.int64)
    return X, strata_ptr, labels, ("sample" if rliable_layout else "item"), n_per


def aggregate(
    rf,
    *,
    metric: Union[MetricName, Sequence[MetricName]] = "mean",
    stratify: str = "task",
    ci: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
    gamma: float = 1.0,
) -> Result:
    """Aggregate scores over tasks (mean, median, IQM, optimality gap) with stratified-bootstrap CIs.

    The rliable recipe (Agarwal et al. 2021): per model, an aggregate of a (units x tasks) score
    table and a percentile interval from a bootstrap that resamples units within each task. See the
    module docstring for what a unit is (items, or runs in rliable's one-item-per-task layout) and
    how ragged tasks and missing cells are handled.

    Parameters
    ----------
    rf : ResultFrame
        Per-item (or per-run) scores with a task role.
    metric : {"mean", "median", "iqm", "optimality_gap"} or a tuple of them
        ``mean``/``median``: of the per-task means; ``iqm``: 25% trimmed mean of all units pooled
        (``scipy.stats.trim_mean(x, 0.25)``); ``optimality_gap``: ``gamma`` minus the mean of
        ``min(score, gamma)``. All requested metrics come from the same replicates.
    stratify : str
        Column of ``rf.data`` holding the task of each item (the strata), default the task role.
    ci : float
        Confidence level of the two-sided percentile interval.
    n_resamples : int
        Bootstrap replicates.
    seed : int
        Same seed, same numbers (independent of the thread count).
    gamma : float
        Threshold of the optimality gap (scores above it count as ``gamma``).

    Returns
    -------
    Result
        ``kind="aggregate"``; ``.table`` has columns ``model, metric, value, ci_low, ci_high``, one
        row per model x metric (models in frame order, metrics as requested). ``.spec`` records the
        interval method (``percentile``), level, n_resamples, seed, gamma, strata and unit counts.

    Raises
    ------
    ColumnNotFoundError
        The ``stratify`` column is missing (``pass task=... to from_frame``).
    InsufficientDataError
        A model has no score at all in some task.
    ValueError
        Unknown metric (with a "did you mean"), bad ``ci``/``n_resamples``/``seed``/``gamma``.

    See Also
    --------
    evalwidgets.leaderboard : per-model mean over items, with ranks.
    rliable.library.get_interval_estimates : the reference implementation.

    References
    ----------
    Agarwal, R., Schwarzer, M., Castro, P. S., Courville, A., & Bellemare, M. G. (2021). Deep
    Reinforcement Learning at the Edge of the Statistical Precipice. NeurIPS 34.

    Examples
    --------
    >>> import numpy as np, polars as pl, evalwidgets as ew
    >>> rng = np.random.default_rng(0)
    >>> tasks = np.tile(np.repeat(["t1", "t2", "t3"], 10), 2)   # 2 models x 3 tasks x 10 runs
    >>> df = pl.DataFrame({"model": np.repeat(["a", "b"], 30), "task": tasks, "item": tasks,
    ...                    "run": np.tile(np.arange(10), 6), "score": np.round(rng.uniform(0, 1, 60), 2)})
    >>> rf = ew.from_frame(df, task="task", sample="run")   # one item per task: the runs are the units
    >>> res = ew.aggregate(rf, metric=("iqm", "mean"), n_resamples=2_000, seed=0)
    >>> res.table.columns
    ['model', 'metric', 'value', 'ci_low', 'ci_high']
    >>> res.table.select("model", "metric", pl.col("value").round(4)).rows()
    [('a', 'iqm', 0.5781), ('a', 'mean', 0.5347), ('b', 'iqm', 0.4594), ('b', 'mean', 0.4767)]
    >>> bool((res.table["ci_low"] <= res.table["value"]).all()), res.spec["unit"], res.spec["method"]
    (True, 'sample', 'percentile')
    """
    check_rf(rf, "aggregate")
    metrics = _check_metrics(metric)
    stratify = _check_stratify(rf, stratify)
    level = check_level(ci)
    B = check_resamples(n_resamples)
    seed = check_seed(seed)
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.integer, np.floating)) \
            or not np.isfinite(gamma):
        raise ValueError(f"gamma={gamma!r} must be a finite number (the optimality-gap threshold), e.g. gamma=1.0.")
    gamma = float(gamma)

    X, strata_ptr, labels, unit_kind, n_per = _build_units(rf, stratify)
    present = ~np.isnan(X)
    models = rf.models
    M, U = X.shape
    # a model needs at least one unit in every task
    has = np.add.reduceat(present.astype(np.int64), strata_ptr[:-1], axis=1)  # (M, S)
    if (has == 0).any():
        m, s = map(int, np.argwhere(has == 0)[0])
        n_bad = int((has == 0).sum())
        raise InsufficientDataError(
            f"model {models[m]!r} has no scores in task {labels[s]!r} ({n_bad} (model, task) pairs are empty), so "
            "its per-task mean is undefined. Fix: drop the model, rf.subset(models=[...]), or drop the task "
            f"from the data before ew.from_frame(...).")
    if (n_per == 1).all():
        warnings.warn(
            f"every task has a single {unit_kind}, so the stratified bootstrap has nothing to resample and every "
            "interval has zero width. Fix: give several items per task, or several runs with sample='<run column>'.",
            DegenerateDataWarning, stacklevel=2)

    from ..kernels.aggregate import aggregate_point, aggregate_replicates, aggregate_replicates_serial
    from ._engine import seed_key

    codes = np.array([METRICS.index(k) for k in metrics], np.int64)
    PF = np.ascontiguousarray(present.T, dtype=np.float64)                      # (U, M)
    XP = np.ascontiguousarray(np.where(present, X, 0.0).T)
    GP = np.ascontiguousarray(np.where(present, np.minimum(X, gamma), 0.0).T)
    order = np.ascontiguousarray(np.argsort(np.where(present, X, np.inf), axis=1, kind="stable"), dtype=np.int64)
    xs = np.ascontiguousarray(np.take_along_axis(X, order, axis=1))            # (M, U) sorted scores
    n_present = present.sum(axis=1).astype(np.int64)
    args = (XP, GP, PF, xs, order, n_present, strata_ptr, codes, gamma)
    point = aggregate_point(*args)
    # identical numbers either way; threads only pay off beyond a few hundred thousand unit visits
    kernel = aggregate_replicates if B * U * M >= _PARALLEL_WORK else aggregate_replicates_serial
    reps = kernel(*args, seed_key(seed), B)

    alpha = (1.0 - level) / 2.0
    undefined = np.isnan(reps).sum(axis=0)  # (M, K)
    if undefined.any():
        bad = {f"{models[m]}/{metrics[k]}": int(undefined[m, k]) for m, k in np.argwhere(undefined > 0)}
        first = next(iter(bad))
        warnings.warn(
            f"{first}: in {bad[first]:,} of {B:,} replicates the model drew none of its units in some task; those "
            "replicates are left out of its interval (see spec['undefined_replicates']). Fix: fill the model's "
            "missing cells, or drop it with rf.subset(models=[...]).", DegenerateDataWarning, stacklevel=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices stay NaN
            lo, hi = np.nanquantile(reps, [alpha, 1.0 - alpha], axis=0)
    else:
        bad = {}
        lo, hi = np.quantile(reps, [alpha, 1.0 - alpha], axis=0)

    K = len(metrics)
    table = pl.DataFrame({
        "model": [m for m in models for _ in range(K)],
        "metric": metrics * M,
        "value": point.reshape(-1),
        "ci_low": lo.reshape(-1),
        "ci_high": hi.reshape(-1),
    }, schema={"model": pl.String, "metric": pl.String, "value": pl.Float64, "ci_low": pl.Float64,
               "ci_high": pl.Float64})

    n_units_model = {m: int(n_present[i]) for i, m in enumerate(models)}
    missing_units = int(M * U - int(n_present.sum()))
    unit_txt = ("runs (the 'sample' role: one item per task, rliable layout)" if unit_kind == "sample"
                else "items (scores averaged over nested samples/prompts/judges)")
    description = (
        f"Aggregate metrics ({', '.join(metrics)}) over {len(labels)} tasks ('{stratify}') with {level:.0%} "
        f"percentile intervals from a stratified bootstrap ({B:,} replicates, seed {seed}) that draws {unit_txt} "
        "with replacement within each task, the same draw for every model (Agarwal et al. 2021; rliable). "
        "mean/median are of per-task means, IQM is the 25% trimmed mean of all units pooled, optimality gap is "
        f"gamma={gamma:g} minus the mean of per-task means of min(score, gamma)."
        + (" The cluster role is not used by this analysis." if rf.has("cluster") else "")
    )
    spec = {
        "method": "percentile",
        "level": level,
        "n_resamples": B,
        "seed": seed,
        "metrics": list(metrics),
        "gamma": gamma,
        "stratify": stratify,
        "scheme": "stratified",
        "paired": True,
        "unit": unit_kind,
        "n_tasks": len(labels),
        "units_per_task": dict(zip(labels, map(int, n_per))),
        "n_units_per_model": n_units_model,
        "missing_units": missing_units,
        "undefined_replicates": bad,
        "missing_cells": int(rf.spec.get("missing_cells", 0)),
        "excluded_rows": int(rf.spec.get("excluded_rows", 0)),
        "reference": _REFERENCE,
        "description": description,
        "versions": dict(_versions()),
    }
    return Result(kind="aggregate", table=table, spec=spec)
