"""ew.power: sample size / minimum detectable effect / power of paired model comparisons.

References used (all independent of evalwidgets):
* exact McNemar power: brute-force enumeration of the trinomial (n10, n01, concordant) with
  ``scipy.stats.multinomial.pmf`` and ``statsmodels...mcnemar(exact=True)`` p-values; for one-sided
  tests ``scipy.stats.binomtest``; and a per-item Monte Carlo simulation with numpy.
* Connor (1987) closed form, evaluated here with ``scipy.stats.norm.ppf``.
* paired t-test: ``statsmodels.stats.power.TTestPower``.
Monte Carlo tolerances are 4 standard errors sqrt(p(1-p)/R) (two-sided ~6e-5 false-failure rate).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import polars as pl
import pytest
from scipy import stats

import evalwidgets as ew

sm_contingency = pytest.importorskip("statsmodels.stats.contingency_tables")
sm_power = pytest.importorskip("statsmodels.stats.power")


# ------------------------------------------------------------------------------------------------
# independent references
# ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _sm_mcnemar_p(n10: int, n01: int) -> float:
    """statsmodels' exact McNemar p-value (concordant cells do not enter it)."""
    return float(sm_contingency.mcnemar([[0, n10], [n01, 0]], exact=True).pvalue)


def _one_sided_p(n10: int, n01: int, alternative: str) -> float:
    d = n10 + n01
    if d == 0:
        return 1.0
    alt = "greater" if alternative == "larger" else "less"
    return float(stats.binomtest(n10, d, 0.5, alternative=alt).pvalue)


def enumerated_power(n: int, psi: float, delta: float, alpha: float, alternative: str = "two-sided") -> float:
    """Exact power by enumerating every (n10, n01) with its trinomial probability (no conditioning)."""
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    total = 0.0
    for n10 in range(n + 1):
        n01 = np.arange(n - n10 + 1)
        x = np.stack([np.full_like(n01, n10), n01, n - n10 - n01], axis=1)
        prob = stats.multinomial.pmf(x, n, [p10, p01, 1 - psi])
        if alternative == "two-sided":
            pv = np.array([_sm_mcnemar_p(n10, int(k)) for k in n01])
        else:
            pv = np.array([_one_sided_p(n10, int(k), alternative) for k in n01])
        total += float(prob[pv <= alpha].sum())
    return total


def sign_test_power(n: int, pi: float, alpha: float) -> float:
    """discordance = 1: every item is discordant, n10 ~ Bin(n, pi); scipy's two-sided binomtest at
    p = 1/2 is the doubled tail, i.e. the exact McNemar test."""
    x = np.arange(n + 1)
    rej = np.array([stats.binomtest(int(k), n, 0.5).pvalue <= alpha for k in x])
    return float(stats.binom.pmf(x, n, pi)[rej].sum())


def connor_n(psi: float, delta: float, power: float, alpha: float) -> float:
    """Connor (1987), Biometrics 43:207, eq. for the paired-sample (McNemar) design."""
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    return (za * math.sqrt(psi) + zb * math.sqrt(psi - delta**2)) ** 2 / delta**2


def binary_pilot(n11: int, n10: int, n01: int, n00: int, names=("a", "b")):
    """A pilot ResultFrame with exactly these cell counts (a right/b wrong = 10)."""
    a = [1] * n11 + [1] * n10 + [0] * n01 + [0] * n00
    b = [1] * n11 + [0] * n10 + [1] * n01 + [0] * n00
    n = len(a)
    return ew.from_frame(pl.DataFrame({"model": [names[0]] * n + [names[1]] * n,
                                       "item": [f"q{i}" for i in range(n)] * 2, "score": a + b}))


def mc_tol(p: float, reps: int) -> float:
    return 4.0 * math.sqrt(max(p * (1 - p), 1e-4) / reps)


def row(result) -> dict:
    assert result.table.height == 1
    return result.table.row(0, named=True)


# ------------------------------------------------------------------------------------------------
# contract
# ------------------------------------------------------------------------------------------------
def test_lazy_public_name_and_table_contract():
    from evalwidgets.stats.power import power

    assert ew.power is power
    r = ew.power(delta=0.05, discordance=0.2)
    assert r.kind == "power"
    assert r.table.columns[:5] == ["n_items", "delta", "power", "alpha", "method"]
    assert r.table.columns[5:] == ["target_power", "solved", "discordance", "sd_diff", "mc_se"]
    assert r.table.schema["n_items"] == pl.Int64
    rw = row(r)
    assert rw["method"] == "mcnemar-exact" and rw["solved"] == "n_items" and rw["target_power"] == 0.8
    assert rw["mc_se"] is None and rw["sd_diff"] is None and rw["discordance"] == 0.2
    assert r.spec["method"] == "mcnemar-exact" and r.spec["alternative"] == "two-sided"
    assert any("Connor" in ref for ref in r.spec["references"])
    assert "McNemar" in r.methods_text()
    assert "<table>" in r._repr_html_()


# ------------------------------------------------------------------------------------------------
# exact McNemar power
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,psi,delta,alpha", [
    (1, 0.5, 0.2, 0.05), (12, 0.6, 0.3, 0.05), (40, 0.3, 0.1, 0.05), (40, 0.9, -0.2, 0.2), (33, 1.0, 0.4, 0.01),
])
def test_exact_power_equals_trinomial_enumeration_with_statsmodels_pvalues(n, psi, delta, alpha):
    # reference: sum over every (n10, n01) of multinomial pmf * [statsmodels exact McNemar p <= alpha]
    ref = enumerated_power(n, psi, delta, alpha)
    got = row(ew.power(n_items=n, delta=delta, discordance=psi, alpha=alpha))["power"]
    assert got == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("alternative,delta", [("larger", 0.15), ("smaller", -0.15), ("larger", -0.05)])
def test_exact_one_sided_power_equals_enumeration_with_binomtest(alternative, delta):
    # reference: one-sided exact binomial test on the discordant items (scipy.stats.binomtest)
    ref = enumerated_power(30, 0.4, delta, 0.05, alternative)
    got = row(ew.power(n_items=30, delta=delta, discordance=0.4, alternative=alternative))["power"]
    assert got == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("n,psi,delta", [(300, 0.2, 0.05), (150, 0.9, 0.15)])
def test_exact_power_matches_per_item_simulation(n, psi, delta):
    # brute force: draw every item's cell (11/10/01/00) with numpy, test with statsmodels, count rejections
    reps = 20_000
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    p11 = (1 - psi) / 2
    rng = np.random.default_rng(12345)
    cells = rng.choice(4, size=(reps, n), p=[p11, p10, p01, 1 - psi - p11])
    n10 = (cells == 1).sum(axis=1)
    n01 = (cells == 2).sum(axis=1)
    pv = np.array([_sm_mcnemar_p(int(a), int(b)) for a, b in zip(n10, n01)])
    sim = float(np.mean(pv <= 0.05))
    got = row(ew.power(n_items=n, delta=delta, discordance=psi))["power"]
    assert abs(got - sim) <= mc_tol(got, reps)


def test_exact_solve_n_is_smallest_size_reaching_target_despite_sawtooth():
    # discordance 1: D = n, power = sign test power, non-monotone in n (sawtooth). Reference: scan every
    # size with scipy.stats.binomtest and take the first one whose power reaches the target.
    psi, delta, target = 1.0, 0.3, 0.8
    pi = (psi + delta) / (2 * psi)
    ref_powers = {n: sign_test_power(n, pi, 0.05) for n in range(1, 120)}
    first = min(n for n, p in ref_powers.items() if p >= target)
    assert any(ref_powers[n] < ref_powers[n - 1] for n in range(2, 120))  # the sawtooth is real
    assert any(ref_powers[n] < target for n in range(first + 1, 120))  # and dips below after `first`
    rw = row(ew.power(delta=delta, discordance=psi, power=target))
    assert rw["n_items"] == first
    assert rw["power"] == pytest.approx(ref_powers[first], abs=1e-12)


def test_exact_solve_n_round_trip_and_connor_closed_form():
    for psi, delta in [(0.2, 0.05), (0.1, 0.02), (0.5, 0.1)]:
        rw = row(ew.power(delta=delta, discordance=psi, power=0.8))
        n = rw["n_items"]
        at_n = row(ew.power(n_items=n, delta=delta, discordance=psi))["power"]
        below = row(ew.power(n_items=n - 1, delta=delta, discordance=psi))["power"]
        assert at_n >= 0.8 > below
        assert at_n == pytest.approx(rw["power"], abs=1e-12)
        # Connor's closed form, computed here with scipy.stats.norm
        nc = connor_n(psi, delta, 0.8, 0.05)
        rc = row(ew.power(delta=delta, discordance=psi, method="mcnemar-connor"))
        assert rc["n_items"] == math.ceil(nc)
        # the normal approximation lands near the exact answer: within 8% of n (documented range)
        # and the exact power at Connor's n is within 0.05 of the target
        assert 0.0 <= (n - rc["n_items"]) / n <= 0.08
        exact_at_connor = row(ew.power(n_items=rc["n_items"], delta=delta, discordance=psi))["power"]
        assert abs(exact_at_connor - 0.8) < 0.05


def test_connor_power_and_delta_invert_the_closed_form():
    # power from Connor: Phi((|delta| sqrt(n) - z_{1-a/2} sqrt(psi)) / sqrt(psi - delta^2))
    psi, delta, n = 0.3, 0.06, 700
    ref = stats.norm.cdf((delta * math.sqrt(n) - stats.norm.ppf(0.975) * math.sqrt(psi)) / math.sqrt(psi - delta**2))
    assert row(ew.power(n_items=n, delta=delta, discordance=psi, method="mcnemar-connor"))["power"] == \
        pytest.approx(ref, rel=1e-12)
    d = row(ew.power(n_items=n, discordance=psi, power=0.9, method="mcnemar-connor"))["delta"]
    assert connor_n(psi, d, 0.9, 0.05) == pytest.approx(n, rel=1e-8)


def test_exact_solve_delta_round_trip():
    for n, psi in [(1000, 0.2), (120, 0.6)]:
        rw = row(ew.power(n_items=n, discordance=psi, power=0.8))
        assert 0 < rw["delta"] <= psi
        assert rw["power"] == pytest.approx(0.8, abs=1e-9)
        # cross-check the solved delta at small n with the independent enumeration
        if n <= 150:
            assert enumerated_power(n, psi, rw["delta"], 0.05) == pytest.approx(0.8, abs=1e-9)
    neg = row(ew.power(n_items=1000, discordance=0.2, alternative="smaller"))
    assert neg["delta"] < 0


# ------------------------------------------------------------------------------------------------
# paired t-test
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
def test_paired_t_power_matches_statsmodels(alternative):
    tp = sm_power.TTestPower()
    for n, delta, sd in [(10, 0.3, 0.5), (80, 0.05, 0.3), (400, -0.02, 0.25), (2000, 0.03, 0.4)]:
        ref = tp.power(effect_size=delta / sd, nobs=n, alpha=0.05, alternative=alternative)
        got = row(ew.power(n_items=n, delta=delta, sd_diff=sd, alternative=alternative))["power"]
        assert got == pytest.approx(ref, abs=1e-10)


def test_paired_t_solve_n_and_delta_match_statsmodels():
    tp = sm_power.TTestPower()
    for delta, sd, target in [(0.1, 0.5, 0.8), (0.02, 0.3, 0.9), (0.5, 1.0, 0.8)]:
        nobs = tp.solve_power(effect_size=delta / sd, alpha=0.05, power=target)
        rw = row(ew.power(delta=delta, sd_diff=sd, power=target))
        assert rw["n_items"] == math.ceil(nobs)  # smallest whole n with power >= target
        assert rw["power"] >= target
    for n, sd in [(50, 0.4), (1000, 0.25)]:
        es = tp.solve_power(nobs=n, alpha=0.05, power=0.8)
        rw = row(ew.power(n_items=n, sd_diff=sd))
        # statsmodels' own power at our delta is the target to 1e-9 ...
        assert tp.power(effect_size=rw["delta"] / sd, nobs=n, alpha=0.05) == pytest.approx(0.8, abs=1e-9)
        # ... while its solve_power stops once power is within ~2e-5 of the target (root-finder tolerance),
        # i.e. about 1e-4 relative in delta
        assert rw["delta"] == pytest.approx(es * sd, rel=1e-3)
        assert rw["power"] == pytest.approx(0.8, abs=1e-9)


def test_paired_t_large_noncentrality_is_finite():
    # scipy's noncentral t can return NaN far in a tail; power must still be a number
    rw = row(ew.power(n_items=300, delta=0.3157, sd_diff=0.4))
    assert rw["power"] == pytest.approx(1.0, abs=1e-12)
    assert 0 < row(ew.power(n_items=300, sd_diff=0.4))["delta"] < 0.1


# ------------------------------------------------------------------------------------------------
# pilot simulation
# ------------------------------------------------------------------------------------------------
def _pilot_psi25():
    """200 items: n11=100, n10=30, n01=20, n00=50 -> discordance 0.25, delta 0.05."""
    try:
        pilot = ew.datasets.paired_binary(200, 0.65, 0.60, 0.25, seed=3, exact=True,
                                          model_names=("a", "b"))
    except (AttributeError, TypeError):  # the simulator is optional for this test
        return binary_pilot(100, 30, 20, 50)
    return pilot


def test_pilot_estimates_are_the_pilot_cell_shares():
    pilot = _pilot_psi25()
    m = pilot.matrix(["a", "b"]).scores
    r = ew.power(pilot=pilot, n_items=300, delta="observed", n_sim=200)
    info = r.spec["pilot"]
    assert info["n_shared_items"] == 200
    assert info["discordance"] == pytest.approx(float((m[:, 0] != m[:, 1]).mean()))
    assert info["observed_delta"] == pytest.approx(float(m[:, 0].mean() - m[:, 1].mean()))
    assert info["discordance"] == pytest.approx(0.25) and info["observed_delta"] == pytest.approx(0.05)
    assert r.table["delta"][0] == pytest.approx(0.05)


@pytest.mark.parametrize("delta", [0.05, 0.08, -0.03])
def test_binary_pilot_simulation_agrees_with_exact_power(delta):
    # resampling a pilot with discordance 0.25 = drawing cells with psi = 0.25 (the target delta
    # re-splits the discordant share), so the simulated power estimates the exact power
    pilot = _pilot_psi25()
    n_sim = 4000
    r = ew.power(pilot=pilot, n_items=[150, 400], delta=delta, n_sim=n_sim, seed=1)
    exact = ew.power(n_items=[150, 400], delta=delta, discordance=0.25)
    for sim, ex, se in zip(r.table["power"], exact.table["power"], r.table["mc_se"]):
        assert se == pytest.approx(math.sqrt(sim * (1 - sim) / n_sim))
        assert abs(sim - ex) <= mc_tol(ex, n_sim)
    assert r.table["method"].to_list() == ["simulation-pilot"] * 2
    assert r.table["discordance"].to_list() == [0.25, 0.25]


def test_binary_pilot_simulation_solves_n_and_delta():
    pilot = _pilot_psi25()
    n_sim = 2000
    rn = row(ew.power(pilot=pilot, delta=0.05, n_sim=n_sim, seed=0))
    assert rn["power"] >= 0.8
    # the exact power at the simulated answer is within Monte Carlo error of the target
    exact_at = row(ew.power(n_items=rn["n_items"], delta=0.05, discordance=0.25))["power"]
    assert abs(exact_at - 0.8) <= mc_tol(0.8, n_sim)
    rd = row(ew.power(pilot=pilot, n_items=600, n_sim=n_sim, seed=0))
    assert rd["power"] >= 0.8 and 0 < rd["delta"] <= 0.25
    exact_at = row(ew.power(n_items=600, delta=rd["delta"], discordance=0.25))["power"]
    assert abs(exact_at - 0.8) <= mc_tol(0.8, n_sim)


def _continuous_pilot(m=2000, mean=0.03, sd=0.4):
    """Differences at normal quantiles: a pilot whose differences are (almost exactly) N(mean, sd)."""
    d = stats.norm.ppf((np.arange(m) + 0.5) / m) * sd + mean
    b = np.linspace(0.2, 0.8, m)
    return ew.from_frame(pl.DataFrame({"model": ["x"] * m + ["y"] * m, "item": list(range(m)) * 2,
                                       "score": np.concatenate([b + d, b])})), d


def test_continuous_pilot_simulation_agrees_with_statsmodels_t_power():
    pilot, d = _continuous_pilot()
    n_sim = 4000
    ns = [30, 150, 400]
    r = ew.power(pilot=pilot, n_items=ns, delta=0.05, n_sim=n_sim, seed=2)
    assert r.table["sd_diff"][0] == pytest.approx(d.std(ddof=1))
    tp = sm_power.TTestPower()
    # resampling draws from the pilot's empirical distribution, whose sd is d.std(ddof=0)
    for n, sim in zip(ns, r.table["power"]):
        ref = tp.power(effect_size=0.05 / d.std(), nobs=n, alpha=0.05)
        assert abs(sim - ref) <= mc_tol(ref, n_sim)
    # observed delta and the table's units
    obs = row(ew.power(pilot=pilot, n_items=100, delta="observed", n_sim=200))
    assert obs["delta"] == pytest.approx(0.03)


def test_continuous_pilot_solves_n_and_delta_near_analytic():
    pilot, d = _continuous_pilot()
    tp = sm_power.TTestPower()
    n_sim = 2000
    rn = row(ew.power(pilot=pilot, delta=0.05, n_sim=n_sim))
    assert rn["power"] >= 0.8
    assert abs(tp.power(effect_size=0.05 / d.std(), nobs=rn["n_items"], alpha=0.05) - 0.8) <= mc_tol(0.8, n_sim)
    rd = row(ew.power(pilot=pilot, n_items=300, n_sim=n_sim))
    assert abs(tp.power(effect_size=rd["delta"] / d.std(), nobs=300, alpha=0.05) - 0.8) <= mc_tol(0.8, n_sim)


def test_simulation_is_deterministic_per_seed():
    pilot = _pilot_psi25()
    a = ew.power(pilot=pilot, n_items=[100, 300], delta=0.06, n_sim=500, seed=7)
    b = ew.power(pilot=pilot, n_items=[100, 300], delta=0.06, n_sim=500, seed=7)
    c = ew.power(pilot=pilot, n_items=[100, 300], delta=0.06, n_sim=500, seed=8)
    assert a.table.equals(b.table)
    assert not a.table.equals(c.table)
    assert a.spec["seed"] == 7 and a.spec["n_sim"] == 500
    cp, _ = _continuous_pilot(m=300)
    x = ew.power(pilot=cp, n_items=50, delta=0.05, n_sim=300, seed=3)
    y = ew.power(pilot=cp, n_items=50, delta=0.05, n_sim=300, seed=3)
    assert x.table.equals(y.table)


def test_pilot_analytic_methods_use_pilot_estimates_and_models_selects_pair():
    pilot = _pilot_psi25()
    ex = row(ew.power(pilot=pilot, delta=0.05, method="mcnemar-exact"))
    assert ex["n_items"] == row(ew.power(delta=0.05, discordance=0.25))["n_items"]
    three = ew.from_frame(pl.concat([
        pilot.data.select("model", "item", "score"),
        pilot.data.filter(pl.col("model") == "a").select(pl.lit("c").alias("model"), "item", "score"),
    ]))
    with pytest.raises(ValueError, match=r"pilot has 3 models .* Fix: pass models=\("):
        ew.power(pilot=three, delta=0.05)
    r = ew.power(pilot=three, models=("a", "b"), delta=0.05, method="mcnemar-exact")
    assert row(r)["n_items"] == ex["n_items"] and r.spec["pilot"]["models"] == ["a", "b"]
    with pytest.raises(KeyError, match="'bb' is not a model in the pilot. Did you mean 'b'"):
        ew.power(pilot=three, models=("a", "bb"), delta=0.05)


def test_real_data_pilot_mmlu_pro(shared_data):
    path = shared_data / "mmlu_pro_29models"
    items = pl.read_csv(path / "items.csv", columns=["question_id", "answer"])
    wide = pl.read_csv(path / "predictions_wide.csv", columns=["question_id", "Meta-Llama-3-70B", "Meta-Llama-3_1-70B"],
                       infer_schema_length=0)
    df = wide.with_columns(pl.col("question_id").cast(pl.Int64)).join(items, on="question_id").head(400)
    long = pl.concat([
        df.select(pl.lit(m).alias("model"), pl.col("question_id").alias("item"),
                  (pl.col(m).fill_null("") == pl.col("answer")).cast(pl.Int64).alias("score"))
        for m in ("Meta-Llama-3-70B", "Meta-Llama-3_1-70B")
    ])
    pilot = ew.from_frame(long)
    a = df["Meta-Llama-3-70B"].fill_null("") == df["answer"]
    b = df["Meta-Llama-3_1-70B"].fill_null("") == df["answer"]
    psi = float((a != b).mean())  # hand count of discordant questions
    r = ew.power(pilot=pilot, n_items=2000, delta=0.02, n_sim=2000, seed=0)
    assert r.spec["pilot"]["discordance"] == pytest.approx(psi)
    exact = row(ew.power(n_items=2000, delta=0.02, discordance=psi))["power"]
    assert abs(row(r)["power"] - exact) <= mc_tol(exact, 2000)


# ------------------------------------------------------------------------------------------------
# vectorisation
# ------------------------------------------------------------------------------------------------
def test_list_inputs_give_one_row_per_value():
    r = ew.power(n_items=[100, 200, 500], delta=0.05, discordance=0.2)
    assert r.table["n_items"].to_list() == [100, 200, 500]
    p = r.table["power"].to_list()
    assert p[0] < p[1] < p[2]
    for n, pw in zip([100, 200, 500], p):
        assert pw == pytest.approx(row(ew.power(n_items=n, delta=0.05, discordance=0.2))["power"], abs=1e-14)
    r = ew.power(delta=[0.02, 0.05], discordance=[0.1, 0.3])
    assert r.table.height == 4 and r.table["solved"].unique().to_list() == ["n_items"]
    assert r.table["discordance"].to_list() == [0.1, 0.1, 0.3, 0.3]
    r = ew.power(n_items=500, sd_diff=0.3, power=[0.5, 0.8, 0.9])
    assert r.table["delta"].is_sorted() and r.table["target_power"].to_list() == [0.5, 0.8, 0.9]


# ------------------------------------------------------------------------------------------------
# validation: messages name the argument and the fix
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,err,match", [
    (dict(delta=0.3, discordance=0.2), ValueError, r"delta=0\.3 cannot exceed discordance=0\.2"),
    (dict(delta=0.05), ValueError, r"pass discordance= \(share of items where the models disagree"),
    (dict(delta=0.05, discordance=0.2, sd_diff=0.3), ValueError, "pass only one of discordance=, sd_diff= or pilot="),
    (dict(delta=0.05, discordance=0.2, alpha=1.5), ValueError, r"alpha=1\.5 must be in \(0, 1\)"),
    (dict(delta=0.05, discordance=0.2, power=1.2), ValueError, r"power=1\.2 must be in \(0, 1\)"),
    (dict(delta=0.05, discordance=0.2, power=0.01), ValueError, "must exceed alpha=0.05"),
    (dict(n_items=100, delta=0.05, discordance=0.2, power=0.9), ValueError, "one must be left out to be solved"),
    (dict(discordance=0.2), ValueError, r"pass n_items= \(to get the minimum detectable delta\)"),
    (dict(delta=0.05, discordance=0.2, power=None), ValueError, "n_items and power are both None"),
    (dict(n_items=10.5, delta=0.05, discordance=0.2), ValueError, "n_items=10.5 must be a whole number"),
    (dict(n_items=1, delta=0.05, sd_diff=0.2), ValueError, "at least 2 items"),
    (dict(delta=0.05, discordance=0.0), ValueError, r"discordance=0\.0 must be in \(0, 1\]"),
    (dict(delta=0.05, sd_diff=-1), ValueError, "sd_diff=-1.0 must be > 0"),
    (dict(delta=0.0, discordance=0.2), ValueError, "delta=0: no sample size detects a zero difference"),
    (dict(delta=-0.05, discordance=0.2, alternative="larger"), ValueError, "points the other way"),
    (dict(n_items=20, discordance=0.05), ValueError, "n_items=20 is too small to reach power=0.8 even when"),
    (dict(delta=0.05, discordance=0.2, method="mcnemar"), ValueError, "Did you mean"),
    (dict(delta=0.05, discordance=0.2, alternative="greater"), ValueError, "alternative='greater'"),
    (dict(delta=0.05, sd_diff=0.3, method="mcnemar-exact"), ValueError, "with sd_diff= use method='paired-t'"),
    (dict(delta=0.05, discordance=0.2, method="simulation-pilot"), ValueError, "needs pilot="),
    (dict(delta="observed", discordance=0.2), ValueError, "delta='observed' .* needs pilot="),
    (dict(delta=0.05, discordance=0.2, models=("a", "b")), ValueError, "models= selects the two models of a pilot"),
    (dict(delta=0.05, discordance=0.2, seed=-1), ValueError, "seed=-1"),
    (dict(delta=[], discordance=0.2), ValueError, r"delta=\[\] is empty"),
])
def test_validation_messages(kwargs, err, match):
    with pytest.raises(err, match=match):
        ew.power(**kwargs)


def test_pilot_validation_messages():
    with pytest.raises(TypeError, match="pilot= takes a ResultFrame"):
        ew.power(pilot=pl.DataFrame({"a": [1]}), delta=0.05)
    agree = binary_pilot(50, 0, 0, 50)
    with pytest.raises(ew.errors.InsufficientDataError, match="agree on all 100 shared pilot items"):
        ew.power(pilot=agree, delta=0.05)
    with pytest.raises(ValueError, match=r"delta=0\.3 cannot exceed the pilot's discordance=0\.25"):
        ew.power(pilot=binary_pilot(100, 30, 20, 50), delta=0.3)
    cont, _ = _continuous_pilot(m=50)
    with pytest.raises(ValueError, match="needs binary \\(0/1\\) pilot scores"):
        ew.power(pilot=cont, delta=0.05, method="mcnemar-exact")
