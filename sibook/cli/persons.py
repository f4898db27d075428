"""`sibook persons ...`: insured persons, their registration and import (the registry section of
the contract)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import typer

from sibook.access.actions import Action
from sibook.cli.context import logged, ready_engine
from sibook.cli.flags import UnitRealmOpt, identifier, one_of, parse_date, parse_month
from sibook.cli.output import (
    JsonFlag,
    LimitOpt,
    console,
    emit,
    missing_flag,
    refuse,
    refused_with,
    show_listing,
    usage_error,
)
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, Problem, RecordedOtherwise, ValidationError
from sibook.law.terms import SEXES, SUPPORT_GROUPS
from sibook.registry import reading, service
from sibook.registry.new_person import NewPerson

persons_app = typer.Typer(help="Insured persons.", no_args_is_help=True)

_OFFICE = ("The SI office managing the person: five digits, the province's two first (01000: "
           "Hà Nội's). ")
_BORN = "that of the province where their birth was registered (the ID's first three digits)"
OfficeOpt = typer.Option(None, "--office", metavar="CODE", callback=identifier, help=(
    _OFFICE + "Default: with --employer, the office of the employer's province; else " + _BORN
    + "."))
HeldOfficeOpt = typer.Option(None, "--office", metavar="CODE", callback=identifier, help=(
    _OFFICE + "Default: the office managing them already, else their household's province's, "
    "else " + _BORN + "."))
SupportOpt = typer.Option(None, "--support", metavar="GROUP",
                          callback=one_of(SUPPORT_GROUPS, "--support"),
                          help="Voluntary state-support group: " + ", ".join(SUPPORT_GROUPS)
                          + "; without it, other (20%: anyone in none of the others), as the law "
                          "supports everyone, for 120 months in all (Decree 159/2025).")


@persons_app.command("list")
@refused_with(persons=[])
def persons_list(
    limit: int = LimitOpt,
    employer: str | None = typer.Option(None, "--employer", metavar="CODE", callback=identifier,
                                        help="Only this unit's workers."),
    as_json: bool = JsonFlag,
) -> None:
    """List persons in personal-ID order (defence and public-security persons never appear)."""
    try:
        with unit_of_work(ready_engine()) as session:
            rows = reading.list_persons(session=session, limit=limit, employer_code=employer)
            logged(session, Action.PERSON_LIST, "persons list", [r.person_id for r in rows])
    except ValidationError as exc:  # an unknown --employer: named by its flag, as elsewhere
        refuse(exc.problems, as_json)
    data = {
        "persons": [
            {
                "personal_id": r.personal_id,
                "full_name": r.full_name,
                "birth_date": r.birth_date.isoformat(),
                "employer": r.employer,
            }
            for r in rows
        ]
    }
    emit(data, as_json, lambda d: show_listing(d["persons"], "Persons"))


@persons_app.command("import")
@refused_with(imported=False)
def persons_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON registry file."),
    as_json: bool = JsonFlag,
) -> None:
    """Register persons, employers and households from one JSON file, all or nothing."""
    from sibook.registry.importer import parse_registry_file

    try:
        batch = parse_registry_file(file)
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        with unit_of_work(ready_engine()) as session:
            counts = service.import_batch(session=session, batch=batch, content_hash=digest)
            if not counts["replayed"]:
                logged(session, Action.PERSON_REGISTER, "persons import", reading.person_ids_of(
                    session=session, personal_ids=(p.personal_id for p in batch.persons)))
                # A household places its members (registered by this file or before it) at an
                # address and moves them out of any other: a change of their record, logged.
                logged(session, Action.HOUSEHOLD_ADD, "persons import", reading.person_ids_of(
                    session=session, personal_ids={m.personal_id for h in batch.households
                                                   for m in h.members}))
    except ValidationError as exc:
        refuse(exc.problems, as_json)
    except ConflictError as exc:  # another import of it took a person or a code first
        refuse([Problem(field="file", reason=str(exc))], as_json)
    emit(
        {"imported": True, **counts},
        as_json,
        lambda d: console.print(
            f"imported {d['employers']} employers, {d['persons']} persons, {d['households']} "
            "households" + (" (this file was imported before: nothing changed)"
                            if d["replayed"] else ""), highlight=False),
    )


# The registry's fields whose command option has another name (as_typed names each by the
# flag typed: province_code is --province).
_OPTIONS = {
    "province_code": "province",
    "birth_registration_place": "birth_place",
    "full_name": "name",
    "from_month": "start",
    "voluntary.from_month": "start",  # a voluntary start is --from too
    "job_title": "job",
    "managing_office": "office",
    # Whether the person is employed, voluntary or only registered is what --employer or
    # --voluntary says; a registration run again that differs there names the flag given.
    "participant_type": "employer",
}
# A voluntary income is checked as a salary; a registration run again names the voluntary
# start's fields as the API's body nests them.
_VOLUNTARY = {**_OPTIONS, "salary": "income", "voluntary.income": "income",
              "voluntary.support_group": "support", "participant_type": "voluntary"}


@persons_app.command("register")
@refused_with(registered=False)
def persons_register(
    personal_id: str = typer.Option(..., "--personal-id", metavar="ID", callback=identifier,
                                    help="12-digit personal ID."),
    name: str = typer.Option(..., "--name", metavar="NAME", help="Full name, with diacritics."),
    birth_date: str = typer.Option(..., "--birth-date", metavar="YYYY-MM-DD", help="YYYY-MM-DD."),
    sex: str = typer.Option(..., "--sex", metavar="male|female", callback=one_of(SEXES, "--sex"),
                            help="male or female."),
    birth_place: str | None = typer.Option(
        None, "--birth-place", metavar="NNN", callback=identifier,
        help="3-digit birth-registration code (default: the ID's own)."
    ),
    nationality: str = typer.Option("VN", "--nationality", metavar="CC", callback=identifier,
                                    help="ISO 3166-1 alpha-2 code."),
    ethnicity: str | None = typer.Option(
        None, "--ethnicity", metavar="NAME",
        help="One of the 54 groups (default Kinh; for a foreign national: "
        "Người nước ngoài)."
    ),
    phone: str | None = typer.Option(None, "--phone", metavar="PHONE",
                                     help="Contact phone number."),
    address: str | None = typer.Option(None, "--address", metavar="ADDRESS",
                                       help="Contact address."),
    employer: str | None = typer.Option(None, "--employer", metavar="CODE", callback=identifier,
                                        help="Registering employer's code."),
    salary: int | None = typer.Option(None, "--salary", metavar="VND",
                                      help="Monthly salary basis, VND."),
    allowances: int = typer.Option(0, "--allowances", metavar="VND",
                                   help="Allowances counted in the basis, VND a month."),
    job: str | None = typer.Option(None, "--job", metavar="TITLE", help="Job title."),
    start: str | None = typer.Option(None, "--from", metavar="YYYY-MM",
                                      help="First month, YYYY-MM."),
    voluntary: bool = typer.Option(False, "--voluntary", help="Voluntary SI on --income."),
    income: int | None = typer.Option(None, "--income", metavar="VND",
                                      help="Voluntary SI monthly income, VND."),
    support: str | None = SupportOpt,
    office: str | None = OfficeOpt,
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Register a person (TK1-TS) and issue their e-SI book, by an employer or voluntarily (a
    ministry's unit registers its worker into its realm, named by --realm)."""
    from sibook.registry.population import population_registry
    from sibook.registry.registration import (
        EmploymentStart,
        PopulationServiceDown,
        VoluntaryStart,
        office_for,
        register,
    )

    born = parse_date(birth_date, "--birth-date")
    first = parse_month(start, "--from") if start is not None else None
    _check_registration_flags(employer, salary, voluntary, income, support,
                              job=job, allowances=allowances, start=start)
    if realm != "civil" and not employer:  # a ministry's people are registered by its units
        usage_error("--realm", "only with --employer: the unit of that realm registering them")
    person = NewPerson(
        personal_id=personal_id,
        full_name=name,
        birth_date=born,
        sex=sex,
        birth_registration_place=(birth_place or personal_id[:3]),
        nationality=nationality,
        ethnicity=ethnicity,
        phone=phone,
        address=address,
    )
    job_start = EmploymentStart(employer, salary or 0, allowances, job, first) if employer else None
    vol = VoluntaryStart(income or 0, support, first) if voluntary else None
    settings = get_settings()
    try:
        with unit_of_work(ready_engine()) as session:
            if employer:  # a worker is of their unit's realm (``register``), named by --realm
                reading.employer_by_code(session=session, code=employer, realm=realm)
            result = register(
                session=session,
                person=person,
                population=population_registry(session, settings.population_url),
                require_match=settings.require_population_match,
                employment=job_start,
                voluntary=vol,
                # A new person has no residence on record: their office is named, or an
                # employee's is their employer's province's (``register``).
                managing_office=None if office is None else office_for(session=session,
                                                                       given=office),
                replay_for=lambda _: True,  # the operator's console sees everyone
            )
            # Any realm: a worker is registered into their employer's (``register``); a
            # registration run again changes nothing, yet prints the person's record: logged.
            logged(session, Action.PERSON_REGISTER, "persons register",
                   reading.person_ids_of(session=session, personal_ids=[person.personal_id]))
    except RecordedOtherwise as exc:  # registered before with other content: each flag named
        refuse(exc.problems, as_json, aliases=_VOLUNTARY if voluntary else _OPTIONS)
    except ValidationError as exc:
        # One command line, not a file: no row numbers. An employee's start is filed as a
        # one-line list (TM), whose problems the filing numbers row 1 and names by its column
        # (salary): named here by the flag typed (--salary), as every other problem.
        # Without --birth-place the place is the ID's own first three digits: a fault in it is
        # the ID's, which --personal-id's reason names; a flag not typed is not blamed.
        refuse([Problem(field=p.field, reason=p.reason) for p in exc.problems
                if birth_place is not None or p.field != "birth_registration_place"], as_json,
               aliases=_VOLUNTARY if voluntary else _OPTIONS)
    except (ConflictError, PopulationServiceDown) as exc:
        refuse([Problem(field="--personal-id", reason=str(exc))], as_json)
    emit(
        {"registered": True, **result},
        as_json,
        lambda d: console.print(
            ("registered so before (nothing changed): " if d["replayed"] else "registered ")
            + f"{d['personal_id']}; e-SI book {d['book_number']} ({d['book_status']}, "
            f"version {d['book_version']})"
            + ("" if d["identity_verified"] else
               "; identity not verified: the population database does not hold it as given")
        ),
    )


@persons_app.command("voluntary")
@refused_with(registered=False)
def persons_voluntary(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID of a registered person."),
    income: int = typer.Option(..., "--income", metavar="VND",
                               help="Voluntary SI monthly income (VND)."),
    support: str | None = SupportOpt,
    start: str | None = typer.Option(None, "--from", metavar="YYYY-MM",
                                     help="First month, YYYY-MM (default: this "
                                     "month)."),
    office: str | None = HeldOfficeOpt,
    as_json: bool = JsonFlag,
) -> None:
    """A registered person starts voluntary SI (TK1-TS at the SI office), e.g. after their job
    ended; `persons register --voluntary` is for someone not yet registered."""
    from sibook.registry.registration import OfficeChoice, VoluntaryStart, start_voluntary

    first = parse_month(start, "--from") if start is not None else None
    try:
        with unit_of_work(ready_engine()) as session:
            person_id = reading.person_id_of(session=session, personal_id=personal_id)
            result = start_voluntary(session=session, person_id=person_id,
                                     personal_id=personal_id,
                                     voluntary=VoluntaryStart(income, support, first),
                                     office=OfficeChoice(office))
            # Run again, it changes nothing, yet prints the person's start: logged.
            logged(session, Action.PERSON_REGISTER, "persons voluntary", [person_id])
    except (ValidationError, RecordedOtherwise) as exc:  # the person (argument), or a flag
        refuse(exc.problems, as_json, aliases={**_VOLUNTARY, "voluntary": "personal_id"})
    except ConflictError as exc:
        refuse([Problem(field="personal_id", reason=str(exc))], as_json)
    emit({"registered": True, **result}, as_json, lambda d: console.print(
        ("started so before (nothing changed): " if d["replayed"] else "")
        + f"{d['personal_id']}: voluntary SI from {d['voluntary']['from_month']}, "
        f"{_payable(d['voluntary'])}", markup=False, highlight=False))


def _payable(opened: dict[str, Any]) -> str:
    """What a voluntary participant pays a month, and how long the state's support lasts."""
    said = f"{opened['monthly_payable']:,} VND a month"
    if opened["state_support"]:
        said += (f" (state support {opened['state_support']:,} for "
                 f"{opened['support_months_left']} months from then)")
    return said


def _check_registration_flags(
    employer: str | None,
    salary: int | None,
    voluntary: bool,
    income: int | None,
    support: str | None,
    *,
    job: str | None = None,
    allowances: int = 0,
    start: str | None = None,
) -> None:
    """Flags that do not go together, or one this registration needs missing: a usage error
    (exit 2), as the rules commands' are; so is one that would be dropped without a word (a
    job or allowances of no employment, a first month of no participation)."""
    if employer and voluntary:
        usage_error("--voluntary", "cannot be used with --employer")
    if employer and salary is None:
        missing_flag("--salary", "Required with --employer.")
    if salary is not None and not employer:
        usage_error("--salary", "only with --employer")
    if voluntary and income is None:
        missing_flag("--income", "Required with --voluntary.")
    if (income is not None or support) and not voluntary:
        usage_error("--income" if income is not None else "--support", "only with --voluntary")
    if (job is not None or allowances) and not employer:
        usage_error("--job" if job is not None else "--allowances", "only with --employer")
    if start is not None and not (employer or voluntary):
        usage_error("--from", "only with --employer or --voluntary: a person registered with "
                              "neither starts no participation")
