"""`sibook employers ...`: units, their registration and payment method (the registry section of
the contract)."""

from __future__ import annotations

from typing import Any

import typer

from sibook.access import details
from sibook.access.actions import Action
from sibook.cli.context import logged, ready_engine
from sibook.cli.flags import UnitRealmOpt, identifier, one_of, parse_month
from sibook.cli.output import (
    JsonFlag,
    LimitOpt,
    console,
    emit,
    reasons_of,
    refuse,
    refused_with,
    show_listing,
    show_table,
    usage_error,
)
from sibook.contributions.domain import PAYMENT_CYCLES
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, Problem, RecordedOtherwise, ValidationError
from sibook.law import REGIONS
from sibook.registry import reading, regimes, registered_again, service
from sibook.registry.domain import REALMS, SALARY_REGIMES
from sibook.registry.new_employer import NewEmployer

employers_app = typer.Typer(help="Employers (units).", no_args_is_help=True)

_CYCLE_HELP = ("Payment method: monthly, or 3 or 6 (months per payment), for agriculture, "
               "forestry, fishery and salt-making units paying by product or piece-rate (Law "
               "41/2024/QH15 Art 33(1)(b)); a cycle falls due on the last day of the month "
               "after it (Art 34(4)). The unit's sector is not checked.")
_CYCLE = one_of(tuple(PAYMENT_CYCLES), "--payment-cycle")
_CYCLE_METAVAR = "|".join(PAYMENT_CYCLES)
_CYCLE_WORDS = {word: "monthly" if months == 1 else f"every {months} months"
                for word, months in PAYMENT_CYCLES.items()}
_REGIME = one_of(SALARY_REGIMES, "--salary-regime")
_REGIME_METAVAR = "|".join(SALARY_REGIMES)
_REGIME_HELP = ("Who sets the unit's pay: employer (an enterprise) or state (a state agency or "
                "public unit paying by the state's salary scale; always so in the defence and "
                "public-security realms). A pension averages employer-set salaries over the "
                "whole period of SI, state-scale ones over the last years by the year SI started "
                "(Law 41/2024/QH15 Art 72).")
_REGIME_WORDS = {"employer": "the pay it sets", "state": "the state's salary scale"}
# The registry's field whose option has another name (as_typed names each by the flag typed).
_OPTIONS = {"province_code": "province", "payment_cycle_from": "cycle_from"}


@employers_app.command("list")
@refused_with(employers=[])
def employers_list(limit: int = LimitOpt, realm: str = UnitRealmOpt,
                   as_json: bool = JsonFlag) -> None:
    """List employers in unit-code order (a ministry's units with its --realm only)."""
    with unit_of_work(ready_engine()) as session:
        rows = reading.list_employers(session=session, limit=limit, realm=realm)
    data = {"employers": [r.contract() for r in rows]}
    emit(data, as_json, lambda d: show_listing(d["employers"], "Employers"))


@employers_app.command("add")
@refused_with(registered=False)
def employers_add(
    code: str = typer.Option(..., "--code", metavar="CODE", callback=identifier,
                             help="Unit code (10-digit enterprise code, ...)."),
    name: str = typer.Option(..., "--name", metavar="NAME", help="Registered name."),
    province: str = typer.Option(..., "--province", metavar="NN", callback=identifier,
                                 help="2-digit province code (34 from 2025)."),
    region: str = typer.Option(..., "--region", metavar="I|II|III|IV",
                               callback=one_of(REGIONS, "--region"),
                               help="Minimum-wage region: I, II, III or IV."),
    address: str | None = typer.Option(None, "--address", metavar="ADDRESS",
                                       help="Head office address."),
    business_type: str | None = typer.Option(None, "--business-type", metavar="TYPE", help=(
        "Type of business, as registered (at most 60 characters).")),
    realm: str = typer.Option("civil", "--realm", metavar="REALM",
                              callback=one_of(REALMS, "--realm"),
                              help="civil, or defence / public_security for a unit of those "
                                   "ministries."),
    payment_cycle: str = typer.Option("monthly", "--payment-cycle", metavar=_CYCLE_METAVAR,
                                      callback=_CYCLE, help=_CYCLE_HELP),
    cycle_from: str | None = typer.Option(None, "--cycle-from", metavar="YYYY-MM", help=(
        "First month paid by --payment-cycle (default: this month).")),
    salary_regime: str | None = typer.Option(
        None, "--salary-regime", metavar=_REGIME_METAVAR, callback=_REGIME,
        help=f"{_REGIME_HELP} Default: employer; changed later by `employers regime`."),
    as_json: bool = JsonFlag,
) -> None:
    """Register an employer (unit)."""
    if cycle_from is not None and payment_cycle == "monthly":  # it would be dropped unsaid
        usage_error("--cycle-from", "only with --payment-cycle 3 or 6: a unit paying monthly "
                                    "starts no cycle")
    employer = NewEmployer(
        code=code,
        name=name.strip(),
        province_code=province,
        region=region,
        address=address,
        business_type=business_type,
        realm=realm,
        payment_cycle=payment_cycle,
        payment_cycle_from=None if cycle_from is None else parse_month(cycle_from, "--cycle-from"),
        salary_regime=salary_regime,
    )
    try:
        with unit_of_work(ready_engine()) as session:
            _, replayed = registered_again.register_employer(session=session, employer=employer)
    except ValidationError as exc:
        refuse(exc.problems, as_json, aliases=_OPTIONS)
    except RecordedOtherwise as exc:  # registered before with other content: each flag named
        refuse(exc.problems, as_json, aliases=_OPTIONS)
    except ConflictError as exc:
        refuse([Problem(field="--code", reason=str(exc))], as_json)
    data = {
        "registered": True,
        "code": employer.code,
        "name": employer.name,
        "province_code": employer.province_code,
        "region": employer.region,
        "payment_cycle": employer.payment_cycle,
        "salary_regime": employer.regime,
        "replayed": replayed,
    }
    emit(data, as_json, lambda d: console.print(
        f"employer {d['code']} " + ("was registered so before; nothing changed" if d["replayed"]
                                    else "registered")))


@employers_app.command("cycle")
@refused_with(recorded=False)
def employers_cycle(
    code: str = typer.Argument(..., callback=identifier, help="Unit code."),
    payment_cycle: str = typer.Option(..., "--payment-cycle", metavar=_CYCLE_METAVAR,
                                      callback=_CYCLE, help=_CYCLE_HELP),
    from_month: str = typer.Option(..., "--from", metavar="YYYY-MM",
                                   help="First month paid so; the months before keep theirs."),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Record the unit's payment method from a month on, as the agency accepted it."""
    start = parse_month(from_month, "--from")
    try:
        with unit_of_work(ready_engine()) as session:
            reading.employer_by_code(session=session, code=code, realm=realm)
            logged(session, Action.EMPLOYER_CHANGE, "employers cycle",
                   service.change_payment_cycle(session=session, code=code,
                                                cycle=payment_cycle, from_month=start),
                   detail=details.unit_changed(code, details.PAYMENT_CYCLE, payment_cycle,
                                               start))
    except ValidationError as exc:  # the unit unknown: the CODE typed
        refuse(exc.problems, as_json, aliases={"employer": "code"})
    data = {"recorded": True, "code": code, "payment_cycle": payment_cycle,
            "from_month": str(start)}
    emit(data, as_json, lambda d: console.print(
        f"employer {d['code']} pays {_CYCLE_WORDS[d['payment_cycle']]} from {d['from_month']}"))


@employers_app.command("regime")
@refused_with(recorded=False)
def employers_regime(
    code: str = typer.Argument(..., callback=identifier, help="Unit code."),
    salary_regime: str = typer.Option(..., "--salary-regime", metavar=_REGIME_METAVAR,
                                      callback=_REGIME, help=_REGIME_HELP),
    from_month: str = typer.Option(..., "--from", metavar="YYYY-MM", help=(
        "First month paid so; the months before keep theirs (a regime registered wrong: the "
        "unit's first month).")),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Record who sets the unit's pay from a month on: a public unit that became a company, or
    a regime registered wrong."""
    start = parse_month(from_month, "--from")
    try:
        with unit_of_work(ready_engine()) as session:
            reading.employer_by_code(session=session, code=code, realm=realm)
            logged(session, Action.EMPLOYER_CHANGE, "employers regime",
                   regimes.change_salary_regime(session=session, code=code,
                                                regime=salary_regime, from_month=start),
                   detail=details.unit_changed(code, details.SALARY_REGIME, salary_regime,
                                               start))
    except ValidationError as exc:  # the unit unknown: the CODE typed
        refuse(exc.problems, as_json, aliases={"employer": "code"})
    except ConflictError as exc:  # a month a settled benefit averaged: the --from typed
        refuse(reasons_of(exc, "from_month"), as_json)
    data = {"recorded": True, "code": code, "salary_regime": salary_regime,
            "from_month": str(start)}
    emit(data, as_json, lambda d: console.print(
        f"employer {d['code']} pays by {_REGIME_WORDS[d['salary_regime']]} from "
        f"{d['from_month']}"))


@employers_app.command("regimes")
@refused_with(changes=[])  # refused, no change listed, as a listing refused lists none
def employers_regimes(
    code: str = typer.Argument(..., callback=identifier, help="Unit code."),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Show who has set the unit's pay over time: the regime it was registered with, each
    change from a month on, and the one in force this month."""
    try:
        with unit_of_work(ready_engine()) as session:
            reading.employer_by_code(session=session, code=code, realm=realm)
            history = regimes.regime_history(session=session, code=code)
    except ValidationError as exc:  # the unit unknown: the CODE typed
        refuse(exc.problems, as_json, aliases={"employer": "code"})
    emit(history.as_dict(), as_json, _show_regimes)


def _show_regimes(data: dict[str, Any]) -> None:
    console.print(f"employer {data['code']}: registered paying by "
                  f"{_REGIME_WORDS[data['registered']]}, paying by "
                  f"{_REGIME_WORDS[data['in_force']]} this month")
    if not data["changes"]:
        console.print("no change recorded")
        return
    show_table("Changes", ("from", "paid by"),
               ((c["from_month"], _REGIME_WORDS[c["salary_regime"]]) for c in data["changes"]))
