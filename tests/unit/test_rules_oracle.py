"""``sibook rules ...`` against an oracle written from FACTS.md alone (§3.1-3.4, 3.7, 4.1-4.4,
4.6), not from sibook's code or tables: each grid walks the months on both sides of a change
(regional minimums 2026-01, reference level 2026-07: 2,530,000 by Decree 161/2026, the
project's documented departure from FACTS' 2,340,000), each region, caps hit and not, and the
year and odd-month thresholds. Amounts are chosen to be whole dong, so the project's rounding
policy (half up, fund lines by largest remainder) plays no part."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from sibook.cli.rules import app

runner = CliRunner()

# FACTS §3.2-3.3 (and the 2026-07 reference level the law README documents)
MINIMUM = {"2025": {"I": 4_960_000, "II": 4_410_000, "III": 3_860_000, "IV": 3_450_000},
           "2026": {"I": 5_310_000, "II": 4_730_000, "III": 4_140_000, "IV": 3_700_000}}
REGIONS = ("I", "II", "III", "IV")
FUNDS = ("retirement_survivorship", "sickness_maternity", "occupational", "health",
         "unemployment")
# FACTS §3.1, percent: (employer, employee)
RATES = {fund: (Decimal(employer), Decimal(employee)) for fund, employer, employee in (
    ("retirement_survivorship", "14", "8"), ("sickness_maternity", "3", "0"),
    ("occupational", "0.5", "0"), ("health", "3", "1.5"), ("unemployment", "1", "1"))}
SUPPORT = {"poor": 50, "island": 50, "near_poor": 40, "ethnic_minority": 30, "other": 20}


def reference(month: str) -> int:
    return 2_530_000 if month >= "2026-07" else 2_340_000


def minimum(month: str, region: str) -> int:
    return MINIMUM["2026" if month >= "2026-01" else "2025"][region]


def run(*args: object) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, [*map(str, args), "--json"])
    return result.exit_code, json.loads(result.stdout)


def expected_dues(month: str, salary: int, region: str, foreign: bool) -> dict[str, Any]:
    si = min(salary, 20 * reference(month))
    ui = min(salary, 20 * minimum(month, region))
    sides: dict[str, dict[str, int]] = {}
    for index, side in enumerate(("employer", "employee")):
        lines = {f: int(RATES[f][index] * (ui if f == "unemployment" else si) / 100)
                 for f in FUNDS}
        if foreign:  # UI covers Vietnamese only (FACTS §3.1)
            lines["unemployment"] = 0
        sides[side] = lines | {"total": sum(lines.values())}
    return sides | {"state_support": 0,
                    "total": sides["employer"]["total"] + sides["employee"]["total"]}


def _salaries(month: str, region: str) -> list[int]:
    low = minimum(month, region)
    return [low, 20 * reference(month), 20 * reference(month) + 200, 20 * low, 200_000_000]


@pytest.mark.parametrize("month", ["2025-12", "2026-01", "2026-06", "2026-07"])
@pytest.mark.parametrize("region", REGIONS)
def test_compulsory_and_foreign_dues(month: str, region: str) -> None:
    for salary in _salaries(month, region):
        for foreign in (False, True):
            code, out = run("contribution", "--month", month, "--salary", salary,
                            "--region", region, *(["--foreign"] if foreign else []))
            assert code == 0, (salary, foreign, out)
            want = expected_dues(month, salary, region, foreign)
            got = {k: out[k] for k in want}
            assert got == want, (month, region, salary, foreign)
    code, out = run("contribution", "--month", month, "--salary", minimum(month, region) - 1,
                    "--region", region)
    assert code == 1 and out["errors"][0]["field"] == "--salary"


@pytest.mark.parametrize("month", ["2026-06", "2026-07"])
@pytest.mark.parametrize("group", [None, *SUPPORT])
def test_voluntary_dues_and_state_support(month: str, group: str | None) -> None:
    cap = 20 * reference(month)
    flags = [] if group is None else ["--support", group]
    for income in (1_500_000, 2_000_000, cap):
        code, out = run("contribution", "--month", month, "--salary", income, "--voluntary",
                        *flags)
        # a % of 22% x the rural poverty line 1,500,000 (FACTS §3.4); no group is "others"
        support = SUPPORT[group or "other"] * 330_000 // 100
        due = 22 * income // 100
        assert code == 0
        assert (out["state_support"], out["employee"]["total"], out["total"],
                out["employer"]["total"]) == (support, due - support, due, 0), income
        assert out["employee"]["retirement_survivorship"] == due - support
    for income in (1_499_999, cap + 1):  # outside the income range: refused
        code, out = run("contribution", "--month", month, "--salary", income, "--voluntary",
                        *flags)
        assert code == 1 and out["errors"][0]["field"] == "--salary", income


def benefit_years(months: int) -> Decimal:
    whole, odd = divmod(months, 12)  # FACTS §4.1 odd months: 1-6 half a year, 7-11 a year
    return whole + (Decimal(0) if odd == 0 else Decimal("0.5") if odd <= 6 else Decimal(1))


def expected_pension(sex: str, months: int, early: int, average: int) -> dict[str, Any]:
    years = benefit_years(months)
    if sex == "female":
        rate, full = min(45 + 2 * (years - 15), Decimal(75)), 30
    elif months >= 240:
        rate, full = min(45 + 2 * (years - 20), Decimal(75)), 35
    else:
        rate, full = 40 + (years - 15), 35
    rate -= 2 * (early // 12) + (1 if early % 12 >= 6 else 0)
    return {"rate_percent": float(rate), "monthly_pension": int(rate * average / 100),
            "extra_lump_sum": int(average * max(years - full, Decimal(0)) / 2)}


PENSION_MONTHS = [180, 186, 187, 227, 233, 234, 239, 240, 246, 247, 360, 366, 367, 420, 426,
                  427]


@pytest.mark.parametrize("sex", ["male", "female"])
def test_pension_rate_amount_and_extra_lump_sum(sex: str) -> None:
    for months in PENSION_MONTHS:
        for early in ([0] if months < 240 else [0, 5, 6, 18]):
            code, out = run("pension", "--sex", sex, "--contribution-months", months,
                            "--months-early", early, "--average-salary", 12_000_000)
            assert code == 0
            want = expected_pension(sex, months, early, 12_000_000)
            assert {k: out[k] for k in want} == want, (months, early)
        code, out = run("pension", "--sex", sex, "--contribution-months", months)
        assert (out["monthly_pension"], out["extra_lump_sum"]) == (None, None)
    code, out = run("pension", "--sex", sex, "--contribution-months", 179)
    assert code == 1 and out["errors"][0]["field"] == "--contribution-months"


@pytest.mark.parametrize(("before", "after", "years_before", "years_after"), [
    (0, 12, 0, 1), (12, 0, 1, 0), (13, 0, 1, Decimal("0.5")), (19, 0, 1, 1),
    (30, 40, 2, 4), (24, 6, 2, Decimal("0.5")), (6, 6, 0, 1), (7, 5, 0, 1),
    (18, 7, 1, Decimal("1.5")), (100, 100, 8, 9),
])
def test_lump_sum_moves_odd_months_before_2014_after_it(
        before: int, after: int, years_before: int, years_after: Decimal) -> None:
    code, out = run("lump-sum", "--months-before-2014", before, "--months-from-2014", after,
                    "--average-salary", 10_000_000)
    assert code == 0
    assert out["amount"] == int(10_000_000 * (Decimal("1.5") * years_before + 2 * years_after))


@pytest.mark.parametrize("termination", ["2025-12-31", "2026-01-01"])
@pytest.mark.parametrize("region", REGIONS)
def test_unemployment_cap_by_region_and_termination(termination: str, region: str) -> None:
    cap = 5 * minimum(termination[:7], region)
    for average in (10_000_000, 60_000_000):
        code, out = run("unemployment", "--average-salary", average, "--contribution-months",
                        36, "--region", region, "--termination", termination)
        assert code == 0 and out["monthly_benefit"] == min(average * 60 // 100, cap)


@pytest.mark.parametrize(("months", "duration"), [
    (12, 3), (36, 3), (47, 3), (48, 4), (59, 4), (60, 5), (143, 11), (144, 12), (300, 12)])
def test_unemployment_duration(months: int, duration: int) -> None:
    code, out = run("unemployment", "--average-salary", 10_000_000, "--contribution-months",
                    months, "--region", "I", "--termination", "2026-03-15")
    assert code == 0 and out["duration_months"] == duration


def test_unemployment_needs_twelve_months() -> None:
    code, out = run("unemployment", "--average-salary", 10_000_000, "--contribution-months",
                    11, "--region", "I", "--termination", "2026-03-15")
    assert code == 1 and out["errors"][0]["field"] == "--contribution-months"


@pytest.mark.parametrize(("years", "normal", "heavy"), [
    (0, 30, 40), (14, 30, 40), (15, 40, 50), (29, 40, 50), (30, 60, 70), (45, 60, 70)])
def test_sickness_days_by_years_and_heavy_work(years: int, normal: int, heavy: int) -> None:
    daily = Decimal(10_000_000) * 75 / 100 / 24  # FACTS §4.3: 75%, monthly / 24
    for flags, most in (([], normal), (["--heavy"], heavy)):
        for days, paid in ((Decimal("0.4"), Decimal("0.5")), (Decimal("2.5"), 3),
                           (most, most), (most + 1, most)):
            code, out = run("sickness", "--salary", 10_000_000, "--days", days,
                            "--years-contributed", years, *flags)
            assert code == 0
            assert (out["amount"], out["max_days_per_year"]) == (int(daily * paid), most)


@pytest.mark.parametrize("month", ["2026-06", "2026-07"])
@pytest.mark.parametrize("children", [1, 3])
def test_maternity_allowance_per_child(month: str, children: int) -> None:
    code, out = run("maternity-allowance", "--month", month, "--children", children)
    assert code == 0 and out["amount"] == 2 * reference(month) * children
    code, out = run("maternity-allowance", "--month", month, "--children", children,
                    "--voluntary")
    assert code == 0 and out["amount"] == 2_000_000 * children


@pytest.mark.parametrize(("days", "evasion"), [(0, False), (1, False), (60, False), (61, True),
                                               (365, True)])
def test_late_interest_and_evasion(days: int, evasion: bool) -> None:
    code, out = run("late-interest", "--amount", 10_000_000, "--days-late", days)
    assert code == 0 and (out["interest"], out["evasion"]) == (3_000 * days, evasion)
