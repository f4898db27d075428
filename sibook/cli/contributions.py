"""`sibook payments ...`, `sibook ledger ...`: payments and the ledger (`sibook declare` files
to it: sibook.cli.declare)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import typer
from rich.progress import (
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
)

from sibook.access.actions import Action
from sibook.cli.context import logged, ready_engine
from sibook.cli.flags import RealmOpt, UnitRealmOpt, identifier, parse_date, parse_month
from sibook.cli.output import (
    JsonFlag,
    console,
    emit,
    err_console,
    progress_hidden,
    refuse,
    refused_with,
    show_fields,
    show_table,
)
from sibook.contributions import queries
from sibook.contributions.payments import PaymentConflict, post
from sibook.contributions.voluntary_payments import post_voluntary_payment
from sibook.core.db import unit_of_work
from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry

payments_app = typer.Typer(help="Payments: employers' remittances, voluntary participants' "
                           "contributions.", no_args_is_help=True)
ledger_app = typer.Typer(help="The contribution ledger.", no_args_is_help=True)


@payments_app.command("post")
@refused_with(posted=False)
def payments_post(
    employer: str = typer.Option(..., "--employer", metavar="CODE", callback=identifier,
                                 help="Unit code of the paying employer."),
    amount: int = typer.Option(..., "--amount", metavar="VND", help="Amount in VND."),
    reference: str = typer.Option(..., "--reference", metavar="REF",
                                  help="The bank's transaction reference."),
    paid_on: str = typer.Option(None, "--date", metavar="YYYY-MM-DD", help=(
        "Value date YYYY-MM-DD (default today; without it, a reference posted on another day "
        "is that payment again).")),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Post a remittance; it pays the oldest dues first. Re-posting a reference changes nothing."""
    day = parse_date(paid_on, "--date") if paid_on is not None else None
    try:
        with unit_of_work(ready_engine()) as session:
            registry.employer_by_code(session=session, code=employer, realm=realm)
            posted = post(
                session=session,
                employer_code=employer,
                amount=amount,
                bank_reference=reference,
                paid_on=day,
            )
            logged(session, Action.EMPLOYER_PAY, "payments post", posted.person_ids,
                   detail=posted.detail)
    except ValidationError as exc:
        refuse(exc.problems, as_json)
    except PaymentConflict as exc:
        refuse([Problem(field=exc.field, reason=str(exc))], as_json)
    emit(
        {"posted": True, **posted.answer},
        as_json,
        lambda d: console.print(
            f"payment {d['payment_id']} of {d['amount']:,} VND "
            + (
                "already posted"
                if d["replayed"]
                else "allocated to "
                + (
                    ", ".join(f"{a['month']} ({a['amount']:,})" for a in d["allocated"])
                    or "nothing yet"
                )
            )
            + (f"; credit {d['credit']:,} VND pays the next dues" if d["credit"] else "")
        ),
    )


@payments_app.command("voluntary")
@refused_with(posted=False)
def payments_voluntary(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID of the participant."),
    amount: int = typer.Option(..., "--amount", metavar="VND", help="Amount in VND."),
    reference: str = typer.Option(..., "--reference", metavar="REF",
                                  help="The payment's reference (bank, collection agent)."),
    paid_on: str = typer.Option(..., "--date", metavar="YYYY-MM-DD", help="Day paid, YYYY-MM-DD."),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Record a voluntary participant's payment (monthly, every 3, 6 or 12 months, or years
    ahead: Law 41/2024 Art 36); it pays the oldest unpaid months first. Re-posting a reference
    changes nothing."""
    day = parse_date(paid_on, "--date")
    person_id: int | None = None
    try:
        with unit_of_work(ready_engine()) as session:
            # A ministry's participant is found in their realm only, as by `ledger show
            # --realm` (without it: the refusal a personal ID nobody holds gets).
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            result = post_voluntary_payment(session=session, person_id=person_id,
                                            personal_id=personal_id, amount=amount,
                                            reference=reference, paid_on=day)
            logged(session, Action.VOLUNTARY_PAY, "payments voluntary", [person_id])
    except (PaymentConflict, ValidationError) as exc:
        if person_id is not None:  # its checks read the person's record: logged, though refused
            with unit_of_work(ready_engine()) as session:
                logged(session, Action.VOLUNTARY_PAY, "payments voluntary", [person_id],
                       outcome="refused")
        problems = ([Problem(field=exc.field, reason=str(exc))]
                    if isinstance(exc, PaymentConflict) else exc.problems)
        refuse(problems, as_json)
    emit({"posted": True, **result}, as_json, _show_voluntary_payment)


def _show_voluntary_payment(d: dict[str, Any]) -> None:
    months = ", ".join(f"{a['month']} ({a['amount']:,})" for a in d["allocated"])
    console.print(
        f"payment {d['payment_no']} of {d['personal_id']}, {d['amount']:,} VND "
        f"({d['reference']}, {d['paid_on']}): "
        + ("already posted; " if d["replayed"] else "")
        + (f"pays {months}" if months else "pays no month yet")
        + (f"; credit {d['credit']:,} VND pays the next months" if d["credit"] else "")
    )


@ledger_app.command("show")
@refused_with(months=[])  # refused, its months empty, as a listing refused lists nothing
def ledger_show(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID."),
    since: str = typer.Option(None, "--from", metavar="YYYY-MM",
                             help="First month listed, YYYY-MM (the summary still counts "
                                  "every month, as the API's)."),
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                             help="Status on this day (default today)."),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Per month: employer, basis, amounts per fund, and paid / partly paid / unpaid; voluntary
    months with what the participant owed and paid."""
    day = parse_date(as_of, "--as-of") if as_of is not None else None
    first = parse_month(since, "--from") if since is not None else None
    try:
        with unit_of_work(ready_engine()) as session:
            # A ministry's people are read in their realm, as by `benefits list --realm`
            # (their realm's officers read their months over HTTP).
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            logged(session, Action.CONTRIBUTION_READ, "ledger show", [person_id])
            data = queries.person_ledger(
                session=session,
                person_id=person_id,
                personal_id=personal_id,
                as_of=day,
                since=first,
            )
    except ValidationError as exc:
        refuse(exc.problems, as_json)
    emit(data, as_json, partial(_show_person, since=first))


def _show_person(d: dict[str, Any], since: Period | None = None) -> None:
    show_table(
        f"Contribution months of {d['personal_id']}" + (f" from {since}" if since else ""),
        ("month", "employer", "basis", "employee", "employer share", "status"),
        ((m["month"], m["employer"] or m["kind"], m["basis"], _total(m["employee_share"]),
          _total(m["employer_share"]), _status(m)) for m in d["months"]),
    )
    # The summary is the whole record's, --from or not (what a pension or a lump sum counts),
    # as the API's: said so beneath a table of fewer months, lest its unpaid seem among them.
    show_fields("Summary of every month, not only those listed" if since else "Summary",
                d["summary"])


def _status(m: dict[str, Any]) -> str:
    notes = ["deducted, not remitted"] if m["deducted_not_remitted"] else []
    if m["employer_days_late"]:
        notes.append(f"employer {m['employer_days_late']} days late")
    if notes:
        return f"{m['status']} ({'; '.join(notes)})"
    if m["kind"] == "voluntary" and m["status"] == "partly_paid":
        return f"partly_paid ({m['paid']:,} of {m['due']:,})"
    return str(m["status"])


def _total(share: dict[str, int] | None) -> int | str:
    return "-" if share is None else share["total"]


# The ledger's service names the unit it did not find "employer"; these commands take its CODE.
_UNIT = {"employer": "code"}


@ledger_app.command("employer")
def ledger_employer(
    code: str = typer.Argument(..., callback=identifier, help="Unit code."),
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                             help="Status on this day (default today)."),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """An employer's months: dues, payments, late interest and evasion."""
    day = parse_date(as_of, "--as-of") if as_of is not None else None
    try:
        with unit_of_work(ready_engine()) as session:
            registry.employer_by_code(session=session, code=code, realm=realm)
            data = queries.employer_ledger(session=session, code=code, as_of=day)
    except ValidationError as exc:  # the unit unknown: the CODE typed
        refuse(exc.problems, as_json, aliases=_UNIT)
    emit(data, as_json, _show_employer)


@ledger_app.command("below-minimum")
def ledger_below_minimum(
    code: str = typer.Argument(..., callback=identifier, help="Unit code."),
    month: str = typer.Option(None, "--month", metavar="YYYY-MM",
                              help="The month, YYYY-MM (default this month)."),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """An employer's workers paid below the month's regional minimum (raised since their pay
    was declared): the adjustments (DC) it has to file."""
    period = parse_month(month, "--month") if month is not None else Period.of(date.today())
    try:
        with unit_of_work(ready_engine()) as session:
            registry.employer_by_code(session=session, code=code, realm=realm)
            data, person_ids = queries.below_minimum(session=session, code=code, month=period)
            logged(session, Action.CONTRIBUTION_READ, "ledger below-minimum", person_ids)
    except ValidationError as exc:
        refuse(exc.problems, as_json, aliases=_UNIT)
    emit(data, as_json, _show_below_minimum)


@ledger_app.command("assess")
def ledger_assess(
    through: str = typer.Option(None, "--through", metavar="YYYY-MM",
                                help="Last month to assess, YYYY-MM (default this month)."),
    as_json: bool = JsonFlag,
) -> None:
    """The monthly assessment: every month of an open period falls due, filed or not. Run it
    once a month (e.g. from cron); running it again posts nothing twice."""
    from sibook.contributions.closing import assess_through

    last = parse_month(through, "--through") if through is not None else Period.of(date.today())
    engine = ready_engine()
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console,
                  disable=progress_hidden(as_json), transient=True) as bar:
        task = bar.add_task("assessing employers", total=None)
        try:
            done = assess_through(lambda: unit_of_work(engine), last,
                                  progress=lambda n, of: bar.update(task, completed=n, total=of))
        except ValidationError as exc:
            refuse(exc.problems, as_json)
    emit(done.as_dict(), as_json, lambda d: show_fields(f"Assessed through {d['through']}", d))


def _show_below_minimum(d: dict[str, Any]) -> None:
    if d["minimum"] is None:
        console.print(f"No regional minimum is known for {d['month']}.", markup=False)
        return
    if not d["workers"]:  # an empty table under "evasion from ... unless adjusted" said more
        console.print(f"No worker of {d['employer']} is paid below the regional minimum "
                      f"({d['minimum']:,} VND, region {d['region']}) in {d['month']}.",
                      markup=False, highlight=False)
        return
    show_table(
        f"Paid below the regional minimum ({d['minimum']:,} VND, region {d['region']}) in "
        f"{d['month']} at {d['employer']}; evasion from {d['evasion_from']} unless adjusted",
        ("personal_id", "full_name", "salary", "shortfall"),
        ((w["personal_id"], w["full_name"], w["salary"], w["shortfall"]) for w in d["workers"]))


def _show_employer(d: dict[str, Any]) -> None:
    show_table(
        f"Ledger of {d['employer']} as of {d['as_of']}",
        ("month", "due", "paid", "outstanding", "interest", "status"),
        ((m["month"], m["due"], m["paid"], m["outstanding"], m["interest"],
          m["status"] + (" EVASION" if m["evasion"] else "")
          + (f" ({m['below_minimum']} below the minimum)" if m["below_minimum"] else ""))
         for m in d["months"]),
    )
    show_fields("Totals", d["totals"])
    for note in d["notes"]:
        console.print(f"Note: {note}")
