"""``sibook benefits ...``: receive a claim, decide it, list a person's benefits (thin over
sibook.benefits.service, as the API is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from sibook.access.actions import Action
from sibook.benefits import domain, occupational_facts
from sibook.benefits.service import BenefitConflict, decide, detail, listing, receive_claim
from sibook.cli.context import logged, operator_id, ready_engine
from sibook.cli.flags import RealmOpt, identifier, one_of, parse_date, parse_month
from sibook.cli.output import JsonFlag, console, emit, refuse, refused_with, show_table, typed_name
from sibook.core.db import unit_of_work
from sibook.core.errors import NotFoundError, Problem, ValidationError
from sibook.registry import reading as registry

app = typer.Typer(help="Benefits claimed and settled: sickness, maternity, work accident, "
                  "pension, survivorship, one-time withdrawal, unemployment.",
                  no_args_is_help=True)


def _run(personal_id: str, realm: str, action: Action, command: str, as_json: bool,
         work: Callable[[Session, int], dict[str, Any]], *, said: bool = True
         ) -> dict[str, Any]:
    """``work`` on the person in one transaction, logged (``said``: with the dossier it
    recorded, ``benefits.detail``); refused input exits 1 by field."""
    person_id: int | None = None
    try:
        with unit_of_work(ready_engine()) as session:
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            result = work(session, person_id)
            logged(session, action, command, [person_id],
                   detail=detail(result) if said else None)
            return result
    except (BenefitConflict, ValidationError, NotFoundError) as exc:
        if person_id is not None:  # its checks read the person's record: logged, though refused
            holder = exc.holder if isinstance(exc, BenefitConflict) else None
            with unit_of_work(ready_engine()) as session:
                logged(session, action, command,
                       [person_id] if holder is None else [person_id, holder], outcome="refused")
        problems = ([Problem(field=exc.field, reason=str(exc))]
                    if isinstance(exc, BenefitConflict) else
                    [Problem(field="dossier_no", reason=str(exc))]
                    if isinstance(exc, NotFoundError) else exc.problems)
        refuse(_as_the_claims(problems) if command == "benefits decide" else problems,
               as_json, aliases=_OPTIONS)


# The claim's and decision's fields whose command option has another name (--received, ...).
_OPTIONS = {"received_on": "received", "decided_on": "decided", "monthly_amount": "monthly",
            "dossier_no": "dossier"}


def _as_the_claims(problems: list[Problem]) -> list[Problem]:
    """``decide`` refused for a field of the claim it decides, which it has no flag for (a
    pension's start on a job taken up since: ``event_from``): named as the claim's flag, "the
    claim's --from", as ``benefits claim`` received it; the decision's own fields as typed."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    decides = {p.name for p in group.commands["decide"].params}
    flags = {p.name: typed_name(p) for p in group.commands["claim"].params
             if p.name not in decides}
    named = []
    for p in problems:
        flag = flags.get(_OPTIONS.get(p.field, p.field)) if p.row is None else None
        named.append(p if flag is None else Problem(field=f"the claim's {flag}", reason=p.reason))
    return named


@app.command("claim")
@refused_with(recorded=False)
def claim(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID of the claimant."),
    regime: str = typer.Option(..., "--regime", metavar="REGIME",
                               callback=one_of(tuple(domain.Regime), "--regime"),
                               help=f"The benefit claimed: {', '.join(domain.Regime)}."),
    dossier: str = typer.Option(..., "--dossier", metavar="NO", callback=identifier,
                                help="The dossier's receipt number."),
    received: str = typer.Option(..., "--received", metavar="YYYY-MM-DD",
                                 help="Day received, YYYY-MM-DD."),
    event_from: str = typer.Option(None, "--from", metavar="YYYY-MM-DD", help=(
        "sickness/maternity: first day of leave; occupational: day of the accident or "
        "diagnosis; pension: day it starts; survivorship: day of death; unemployment: day the "
        "labour contract ended, YYYY-MM-DD.")),
    event_to: str = typer.Option(None, "--to", metavar="YYYY-MM-DD",
                                 help="sickness/maternity: last day of leave, YYYY-MM-DD."),
    note: str = typer.Option(None, "--note", metavar="TEXT", help="A short note (200 characters)."),
    ground: str = typer.Option(None, "--ground", metavar="GROUND",
                               callback=one_of(tuple(domain.GROUNDS), "--ground"),
                               help="lump_sum only, its ground (Law 41/2024 Art 70): "
                                    + ", ".join(domain.GROUNDS) + "."),
    capacity_loss_percent: int = typer.Option(None, "--capacity-loss", metavar="PERCENT", help=(
        "pension only: the assessed loss of working capacity, percent; lets the pension start "
        "before the statutory age (Law 41/2024 Art 65: up to 5 years at 61%, 10 at 81%).")),
    hazardous_years: int = typer.Option(None, "--hazardous-years", metavar="N", help=(
        "pension with --capacity-loss: N years in especially heavy or hazardous jobs (15 or more "
        "with a 61% loss allow an early pension).")),
    infertility_treatment: bool = typer.Option(False, "--infertility-treatment", help=(
        "maternity, a mother's only: the leave follows leave for infertility treatment, so her "
        "6 months of contributions are looked for in the 24 months before the birth, not 12.")),
    occupational_kind: str = typer.Option(
        None, "--occupational-kind", metavar="KIND",
        callback=one_of(occupational_facts.KINDS, "--occupational-kind"), help=(
            "occupational only: accident or disease; a disease diagnosed after the job ended is "
            "received within its guarantee period (Law 84/2015/QH13 Art 46(2)).")),
    disease_code: int = typer.Option(None, "--disease-code", metavar="N", help=(
        "an occupational disease's: the appendix of Circular 15/2016/TT-BYT listing it.")),
    disease_form: str = typer.Option(None, "--disease-form", metavar="FORM", help=(
        "an occupational disease's form or lesion where its appendix sets a period per form "
        "(keys in sibook/law/data/occupational_diseases.csv: acute, chronic, ...).")),
    exposure_ended: str = typer.Option(None, "--exposure-ended", metavar="YYYY-MM", help=(
        "an occupational disease's last month in the job exposed to its harmful factor; by "
        "default the end of the last compulsory SI before the diagnosis.")),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Receive a benefit claim. The same dossier again changes nothing."""
    c = domain.Claim(domain.Regime(regime), dossier, parse_date(received, "--received"),
                     None if event_from is None else parse_date(event_from, "--from"),
                     None if event_to is None else parse_date(event_to, "--to"), note, ground,
                     capacity_loss_percent, hazardous_years, infertility_treatment,
                     occupational_kind, disease_code, disease_form,
                     None if exposure_ended is None
                     else parse_month(exposure_ended, "--exposure-ended"))
    result = _run(personal_id, realm, Action.BENEFIT_CLAIM, "benefits claim", as_json,
                  lambda s, pid: receive_claim(session=s, person_id=pid,
                                               personal_id=personal_id, claim=c,
                                               actor=operator_id()))
    emit({"recorded": True, **result}, as_json, _show_one)


@app.command("decide")
@refused_with(recorded=False)
def decide_claim(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID of the claimant."),
    dossier: str = typer.Argument(..., callback=identifier,
                                  help="The claim's dossier number."),
    outcome: str = typer.Option(..., "--outcome", metavar="OUTCOME",
                                callback=one_of(domain.OUTCOMES, "--outcome"),
                                help="settled or refused."),
    decided: str = typer.Option(..., "--decided", metavar="YYYY-MM-DD",
                                help="Day of the decision, YYYY-MM-DD."),
    decision_no: str = typer.Option(..., "--decision-no", metavar="NO", callback=identifier,
                                    help="The decision's number."),
    amount: int = typer.Option(None, "--amount", metavar="VND", help="Paid once, VND."),
    monthly: int = typer.Option(None, "--monthly", metavar="VND",
                                help="Paid each month, VND."),
    from_month: str = typer.Option(None, "--from-month", metavar="YYYY-MM",
                                   help="First month of a monthly benefit, YYYY-MM."),
    months: int = typer.Option(None, "--months", metavar="N", help=(
        "How long a monthly benefit lasts, N months (unemployment: 3-12).")),
    days: int = typer.Option(None, "--days", metavar="N", help="N days of leave paid."),
    reason: str = typer.Option(None, "--reason", metavar="TEXT", help="Why it is refused."),
    average_salary: int = typer.Option(None, "--average-salary", metavar="VND", help=(
        "A settled pension only, optional: the revalued average salary, VND, its dossier "
        "establishes (salary before the system's records, a court's or inspection's "
        "correction); --monthly and --amount are checked against the record's rate times it, "
        "else against the book's average.")),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Settle (what is paid) or refuse (why) a received claim; once."""
    d = domain.Decision(outcome, parse_date(decided, "--decided"), decision_no, amount,
                        monthly,
                        None if from_month is None else parse_month(from_month, "--from-month"),
                        months, days, reason, average_salary=average_salary)
    result = _run(personal_id, realm, Action.BENEFIT_DECIDE, "benefits decide", as_json,
                  lambda s, pid: decide(session=s, person_id=pid, personal_id=personal_id,
                                        dossier_no=dossier, decision=d, actor=operator_id()))
    emit({"recorded": True, **result}, as_json, _show_one)


@app.command("list")
@refused_with(benefits=[])  # a listing refused lists nothing, as persons list and employers list
def list_benefits(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID."),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """A person's benefit claims in the order received, each with its decision."""
    result = _run(personal_id, realm, Action.BENEFIT_READ, "benefits list", as_json,
                  lambda s, pid: listing(session=s, person_id=pid, personal_id=personal_id),
                  said=False)
    emit(result, as_json, _show_list)


def _show_one(b: dict[str, Any]) -> None:
    d = b["decision"]
    told = (f"{b['regime_name']} ({b['regime']}), dossier {b['dossier_no']} of "
            f"{b['personal_id']}: {b['status']}")
    if d is not None:
        told += f" by decision {d['decision_no']} of {d['decided_on']}" + _paid(d)
    if b.get("guarantee"):  # a disease diagnosed after exposure ended: why it is insured
        told += f"; {b['disease_name']}: {b['guarantee']}"
    console.print(("already recorded; " if b["replayed"] else "") + told, highlight=False)


def _paid(d: dict[str, Any]) -> str:
    if d["outcome"] == domain.REFUSED:
        return f": {d['reason']}"
    parts = [f"{d['amount']:,} VND once" if d["amount"] else "",
             f"{d['monthly_amount']:,} VND a month from {d['from_month']}"
             + (f" for {d['months']} months" if d["months"] else "")
             if d["monthly_amount"] else "",
             # a pension decision may state the average its dossier establishes: said only then
             f"on an average salary of {d['average_salary']:,} VND"
             if d["average_salary"] is not None else "",
             f"{d['days']} days of leave" if d["days"] else "",
             f"{d['months_settled']} months settled" if d["months_settled"] else ""]
    return ": " + "; ".join(p for p in parts if p)


def _show_list(data: dict[str, Any]) -> None:
    if not data["benefits"]:
        console.print(f"no benefit claims for {data['personal_id']}")
        return
    show_table(f"Benefits of {data['personal_id']}",
               ("dossier", "regime", "received", "status", "decision", "paid, or why not"),
               [(b["dossier_no"], b["regime_name"], b["received_on"], b["status"],
                 b["decision"] and f"{b['decision']['decision_no']} "
                                   f"({b['decision']['decided_on']})",
                 b["decision"] and _paid(b["decision"]).removeprefix(": "))
                for b in data["benefits"]])
