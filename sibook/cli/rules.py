"""``sibook rules``: dues and benefits under the law in force (thin over sibook.rules.answers).

Commands without a month in the contract take ``--month`` (default: the current month, which the
answer states in ``month`` and in its explanation).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from sibook.cli.flags import finite, one_of, parse_date, parse_month
from sibook.cli.output import JsonFlag, console, emit, missing_flag, refuse, usage_error
from sibook.core.errors import Problem, ValidationError
from sibook.law.terms import OA_RATES, REGIONS, SEXES, SUPPORT_GROUPS
from sibook.rules import answers

app = typer.Typer(help="Law as data: contributions and benefits under the rules in force.",
                  no_args_is_help=True)


def _check_month(value: str | None) -> str | None:
    """A month that is not YYYY-MM is a usage error (exit 2), like any mistyped flag."""
    if value is not None:
        parse_month(value, "--month")
    return value


# Each option's metavar says what it takes, as the rest of the CLI writes it (YYYY-MM, VND,
# I|II|III|IV, N for a count): the usage line reads 'sibook rules pension --sex male|female
# --contribution-months N [OPTIONS]', not Click's '--contribution-months CONTRIBUTION_MONTHS'.
MonthOpt = Annotated[str | None, typer.Option(
    "--month", metavar="YYYY-MM", callback=_check_month,
    help="The month whose rules apply, YYYY-MM (default: the current month).")]
PensionMonthOpt = Annotated[str | None, typer.Option(
    "--month", metavar="YYYY-MM", callback=_check_month,
    help="The month the pension starts, YYYY-MM: the law in force then prices it (Law 41/2024 "
         "Art 5(7)): Law 58/2014 from 2016-01 (earlier is refused), Law 41/2024 from 2025-07 "
         "(default: the current month).")]
RegionOpt = Annotated[str, typer.Option("--region", metavar="I|II|III|IV",
                                        callback=one_of(REGIONS, "--region"),
                                        help="Minimum-wage region: I, II, III or IV.")]
SexOpt = Annotated[str, typer.Option("--sex", metavar="male|female",
                                     callback=one_of(SEXES, "--sex"), help="male or female.")]


def _answer(as_json: bool, compute: Callable[[], dict[str, Any]], title: str) -> None:
    """Run ``compute``; print its answer, or refuse (exit 1) naming the flag at fault."""
    try:
        answer = compute()
    except ValidationError as exc:
        refuse([_as_flag(p) for p in exc.problems], as_json)
    emit(answer, as_json, lambda data: _render(title, data))


def _as_flag(problem: Problem) -> Problem:
    flag = "--" + problem.field.replace("_", "-")
    return Problem(field=flag, reason=problem.reason, row=problem.row)


def _month(text: str | None) -> str:
    return text if text is not None else f"{date.today():%Y-%m}"


def _render(title: str, data: dict[str, Any]) -> None:
    table = Table(title=title, show_header=False)
    for key, value in data.items():
        if key in ("explain", "sources", "provisional"):
            continue
        if isinstance(value, dict):
            for fund, amount in value.items():
                table.add_row(f"{key} · {fund}", f"{amount:,}")
        else:
            table.add_row(key, f"{value:,}" if isinstance(value, int)
                          and not isinstance(value, bool) else str(value))
    console.print(table)
    console.print("[bold]How it was computed[/bold]", markup=True)
    for number, step in enumerate(data["explain"], 1):
        console.print(f"  {number}. {step}", markup=False, highlight=False)
    console.print("[bold]Sources[/bold]" + (" (some provisional)" if data["provisional"] else ""),
                  markup=True)
    for source in data["sources"]:
        console.print(f"  - {source}", markup=False, highlight=False)


@app.command("contribution")
def contribution(
    month: Annotated[str, typer.Option(
        "--month", metavar="YYYY-MM", callback=_check_month,
        help="The month the dues are for, YYYY-MM: its rules apply.")],
    salary: Annotated[int, typer.Option(
        "--salary", metavar="VND",
        help="Monthly salary on which SI is paid, VND (--voluntary: the declared monthly "
             "income).")],
    region: Annotated[str | None, typer.Option(
        "--region", metavar="I|II|III|IV", callback=one_of(REGIONS, "--region"),
        help="Minimum-wage region I..IV (employees; --voluntary: taken, and its explain "
             "says it does not apply).")] = None,
    voluntary: Annotated[bool, typer.Option("--voluntary", help="Voluntary SI.")] = False,
    foreign: Annotated[bool, typer.Option("--foreign", help="A foreign employee.")] = False,
    support: Annotated[str | None, typer.Option(
        "--support", metavar="GROUP", callback=one_of(SUPPORT_GROUPS, "--support"),
        help="Voluntary support group: poor, near_poor, ethnic_minority, island, other (20%: "
             "anyone in none of those); without it, other: the law supports everyone, for 120 "
             "months in all (Decree 159/2025).")] = None,
    months_supported: Annotated[int, typer.Option(
        "--months-supported", metavar="N",
        help="Months of voluntary support already received.")] = 0,
    oa_rate: Annotated[str, typer.Option(
        "--oa-rate", metavar="standard|reduced", callback=one_of(OA_RATES, "--oa-rate"),
        help="OA/OD rate: standard or reduced (Decree 58/2020 Art 5).")] = "standard",
    as_json: bool = JsonFlag,
) -> None:
    """Dues for a month per fund and payer."""
    if region is None and not voluntary:
        # The contract's usage line names --region unbracketed: a required flag, which only
        # a voluntary participant's dues (on no region) may leave out.
        missing_flag("--region", "Required for an employee (compulsory or --foreign): one of "
                                 "I, II, III, IV.")
    try:  # flags that do not go together (--voluntary --foreign) are a usage error too
        answers.check_contribution_flags(region=region, voluntary=voluntary, foreign=foreign,
                                         support=support, months_supported=months_supported,
                                         oa_rate=oa_rate)
    except ValidationError as exc:
        problem = _as_flag(exc.problems[0])
        usage_error(problem.field, problem.reason)
    _answer(as_json, lambda: answers.contribution_answer(
        month=month, salary=salary, region=region, voluntary=voluntary, foreign=foreign,
        support=support, months_supported=months_supported, oa_rate=oa_rate),
        f"Contributions {month}")


@app.command("pension")
def pension(
    sex: SexOpt,
    contribution_months: Annotated[int, typer.Option(
        "--contribution-months", metavar="N",
        help="Months of SI contributions paid, in all.")],
    months_early: Annotated[int, typer.Option(
        "--months-early", metavar="N", help="Months the pension starts before the statutory "
        "age: at most 120, the law's 10 years (Law 41/2024 Art 65: with a loss of working "
        "capacity of 81% or more; 5 years from 61%); each whole year early cuts the rate by 2 "
        "points (Art 66(3)).")] = 0,
    average_salary: Annotated[int | None, typer.Option(
        "--average-salary", metavar="VND",
        help="Average monthly salary on which SI was paid, revalued, VND (Law 41/2024 Art "
             "72); without it only the rate is answered.")] = None,
    months_past_retirement_age: Annotated[int, typer.Option(
        "--months-past-retirement-age", metavar="N", help="Of the months, those paid after the "
        "statutory age was reached by someone who had the years of SI a pension needs by "
        "then (none for someone who had them only later): their years above the maximum rate "
        "earn 2 average salaries each, not 0.5 (Law 41/2024 Art 68(2); a pension starting "
        "before 2025-07, under Law 58/2014 Art 58: 0.5 all the same).")] = 0,
    voluntary_months: Annotated[int, typer.Option(
        "--voluntary-months", metavar="N", help="Of the months, those paid to voluntary SI "
        "only: they count towards the rate, not towards the 20 years of compulsory SI an early "
        "pension and the lowest pension need (Law 41/2024 Arts 65(1), 141(11)).")] = 0,
    month: PensionMonthOpt = None,
    as_json: bool = JsonFlag,
) -> None:
    """Pension rate, and with --average-salary the monthly pension and extra lump sum."""
    _answer(as_json, lambda: answers.pension_answer(
        sex=sex, contribution_months=contribution_months, months_early=months_early,
        average_salary=average_salary, months_past_retirement_age=months_past_retirement_age,
        voluntary_months=voluntary_months, month=_month(month)), "Pension")


@app.command("retirement")
def retirement(
    sex: SexOpt,
    birth_date: Annotated[str, typer.Option(
        "--birth-date", metavar="YYYY-MM-DD",
        help="Day of birth, YYYY-MM-DD, not after today (only the year known: YYYY-01-01).")],
    as_json: bool = JsonFlag,
) -> None:
    """Statutory retirement age, retirement date and first month of pension (Decree 135/2020)."""
    born = parse_date(birth_date, "--birth-date")
    _answer(as_json, lambda: answers.retirement_answer(sex=sex, birth_date=born),
            "Retirement age")


@app.command("lump-sum")
def lump_sum(
    months_before_2014: Annotated[int, typer.Option(
        "--months-before-2014", metavar="N",
        help="Months of SI contributions paid before 2014.")],
    months_from_2014: Annotated[int, typer.Option(
        "--months-from-2014", metavar="N",
        help="Months of SI contributions paid from 2014 on.")],
    average_salary: Annotated[int, typer.Option(
        "--average-salary", metavar="VND",
        help="Average monthly salary on which SI was paid, revalued, VND.")],
    month: MonthOpt = None,
    as_json: bool = JsonFlag,
) -> None:
    """One-time SI withdrawal."""
    _answer(as_json, lambda: answers.lump_sum_answer(
        months_before_2014=months_before_2014, months_from_2014=months_from_2014,
        average_salary=average_salary, month=_month(month)), "One-time withdrawal")


@app.command("unemployment")
def unemployment(
    average_salary: Annotated[int, typer.Option(
        "--average-salary", metavar="VND",
        help="Average monthly salary on which UI was paid in the last 6 months paid before "
             "the contract ended, VND.")],
    contribution_months: Annotated[int, typer.Option(
        "--contribution-months", metavar="N",
        help="Months of unemployment insurance contributions paid.")],
    region: RegionOpt,
    termination: Annotated[str, typer.Option(
        "--termination", metavar="YYYY-MM-DD", help="Date the contract ended, YYYY-MM-DD.")],
    as_json: bool = JsonFlag,
) -> None:
    """Monthly unemployment benefit and its duration."""
    ended = parse_date(termination, "--termination")
    _answer(as_json, lambda: answers.unemployment_answer(
        average_salary=average_salary, contribution_months=contribution_months, region=region,
        termination=ended), "Unemployment benefit")


@app.command("sickness")
def sickness(
    salary: Annotated[int, typer.Option(
        "--salary", metavar="VND",
        help="Monthly salary on which SI was paid in the month before the leave, VND.")],
    days: Annotated[float, typer.Option(
        "--days", metavar="N", callback=lambda v: finite(v, "--days"),
        help="Working days off this year (a part day allowed: 2.5).")],
    years_contributed: Annotated[int, typer.Option(
        "--years-contributed", metavar="N",
        help="Years of SI contributions paid: they set the days paid a year.")],
    heavy: Annotated[bool, typer.Option(
        "--heavy", help="Heavy or hazardous work (or an area allowance of 0.7 or more): "
                        "more days a year.")] = False,
    month: MonthOpt = None,
    as_json: bool = JsonFlag,
) -> None:
    """Sickness benefit for days off."""
    _answer(as_json, lambda: answers.sickness_answer(
        salary=salary, days=days, years_contributed=years_contributed, heavy=heavy,
        month=_month(month)), "Sickness benefit")


@app.command("maternity-allowance")
def maternity_allowance(
    month: Annotated[str, typer.Option(
        "--month", metavar="YYYY-MM", callback=_check_month,
        help="Month of the birth or adoption, YYYY-MM: its rules apply.")],
    children: Annotated[int, typer.Option(
        "--children", metavar="N", help="Children born or adopted.")],
    voluntary: Annotated[bool, typer.Option("--voluntary", help="Voluntary SI mother.")] = False,
    as_json: bool = JsonFlag,
) -> None:
    """One-time childbirth or adoption allowance."""
    _answer(as_json, lambda: answers.maternity_allowance_answer(
        month=month, children=children, voluntary=voluntary), "Childbirth allowance")


@app.command("late-interest")
def late_interest(
    amount: Annotated[int, typer.Option("--amount", metavar="VND",
                                        help="Amount paid late, VND.")],
    days_late: Annotated[int, typer.Option(
        "--days-late", metavar="N", help="Days from the payment deadline to the day it was paid.")],
    month: MonthOpt = None,
    as_json: bool = JsonFlag,
) -> None:
    """Interest on late contributions and whether it is evasion."""
    _answer(as_json, lambda: answers.late_interest_answer(
        amount=amount, days_late=days_late, month=_month(month)), "Late payment")
