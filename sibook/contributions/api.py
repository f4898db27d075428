"""HTTP adapter of contributions: declarations (multipart), payments, ledgers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from sibook.access import details, ratelimit
from sibook.access.deps import require
from sibook.access.policy import Action, Guard
from sibook.access.settings import get_access_settings
from sibook.api.days import Day
from sibook.api.deps import reads_only
from sibook.api.params import AsOfQuery, OneFile, PersonalIdPath, UnitCodePath
from sibook.api.problems import CONFLICT, FILING_RATE, ProblemOut, Responses
from sibook.contributions import jobs, queries, staging
from sibook.contributions.declare import (
    MAX_BATCH,
    ConcurrentFiling,
    DeclarationRefused,
    declare,
)
from sibook.contributions.job_store import JobStatus
from sibook.contributions.payments import MAX_PAYMENT, PaymentConflict, post
from sibook.contributions.schema import (
    BelowMinimum,
    DeclarationAnswer,
    EmployerLedger,
    EmployerPaymentAnswer,
    PersonLedger,
)
from sibook.core.db import begin_writing
from sibook.core.digits import IN_DIGITS
from sibook.core.errors import MAX_PROBLEMS, NotFoundError
from sibook.core.period import MONTH_PATTERN, Period

router = APIRouter(tags=["contributions"])
Declarer = Annotated[Guard, Depends(require(Action.CONTRIBUTION_DECLARE))]
Reader = Annotated[Guard, Depends(require(Action.CONTRIBUTION_READ))]
Payer = Annotated[Guard, Depends(require(Action.EMPLOYER_PAY))]
MonthForm = Annotated[str, Form(pattern=MONTH_PATTERN, description="YYYY-MM")]
ASYNC_BYTES = 2_000_000  # larger uploads are answered 202 and processed in the background


class JobOut(BaseModel):
    """A large filing's progress; ``result`` is the filing's answer once accepted."""

    job_id: str
    employer: str
    month: str
    status: JobStatus = Field(description="queued or running: not done yet; accepted: see "
                                          "result; refused: see errors; failed: the process "
                                          "died or broke, see errors")
    lines_done: int
    result: DeclarationAnswer | None = Field(description="The filing's answer once accepted; "
                                                         "null until then and when refused "
                                                         "or failed")
    errors: list[ProblemOut]


FILED: Responses = {201: {"model": DeclarationAnswer, "description": "The filing accepted (or, "
                          "the same content filed before, its first answer replayed)"}}
POSTED: Responses = {201: {"model": EmployerPaymentAnswer, "description": "The payment posted "
                           "(or, its reference posted before, that payment)"}}
# How long a client waits before it polls a job again: a filing of a few MB takes seconds, so
# a poll a second lets it see the end soon without asking hundreds of times.
POLL_AFTER_SECONDS = 1
_WAIT = "Seconds to wait before polling the job (again)"
_POLL_AFTER = {"description": _WAIT, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
ACCEPTED: Responses = {202: {"model": JobOut, "description": "A large file accepted for "
                                                          "processing: poll the Location",
                             "headers": {"Location": {
                                 "description": "The job to poll: /api/v1/employers/{code}/"
                                                "declaration-jobs/{job_id}",
                                 "schema": {"type": "string"}},
                                 "Retry-After": _POLL_AFTER}}}
POLLED: Responses = {200: {"model": JobOut, "description": "The filing's progress",
                           "headers": {"Retry-After": {
                               **_POLL_AFTER, "required": False,
                               "description": f"While the job is queued or running: {_WAIT}"}}}}


def conflict(exc: PaymentConflict) -> JSONResponse:
    """A reference posted before with another amount or date: 409 naming which."""
    return JSONResponse(status_code=status.HTTP_409_CONFLICT,
                        content={"errors": [{"field": exc.field, "reason": str(exc)}]})


class PaymentIn(BaseModel):
    # A key the API does not know (a misspelt one, or a field the bank's export adds) is
    # refused, as every other body's, never dropped without a word.
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(gt=0, le=MAX_PAYMENT, description="VND (a JSON integer)")
    reference: str = Field(min_length=1, max_length=40, description="Bank transaction reference")
    paid_on: Day


# What a client must handle, said where it reads: without it the OpenAPI named neither the
# size past which a file is answered 202 nor that a replay of a large file is a job too.
FILING_DESCRIPTION = (
    "File a monthly D02-LT list; idempotent by content, employer, month and batch.\n\n"
    f"A file of at most {ASYNC_BYTES:,} bytes is filed at once: 201 with the filing's answer "
    "(`replayed: true` when the same content was filed before), or 409/422 with the reasons. "
    f"A larger one is answered 202 with a job and its `Location`: poll it, `Retry-After` "
    "seconds apart (sent with the 202 and each answer of a job not done), until `status` is "
    "`accepted` (the same answer in `result`, a replay's too), `refused` (the reasons in "
    f"`errors`, at most {MAX_PROBLEMS:,}, then one saying how many more) or `failed` "
    "(nothing landed: upload it again). Nothing is changed before the whole file is checked.")


@router.post(
    "/employers/{code}/declarations",
    status_code=status.HTTP_201_CREATED,
    response_model=None,  # the service's answer as it is; DeclarationAnswer documents it
    responses=FILED | ACCEPTED | CONFLICT | FILING_RATE,
    description=FILING_DESCRIPTION,
)
def file_declaration(
    code: UnitCodePath,
    g: Declarer,
    request: Request,
    response: Response,
    month: MonthForm,
    file: Annotated[UploadFile, File(description="CSV, XLSX or JSON")],
    _one: OneFile,
    batch: Annotated[int, Form(ge=1, le=MAX_BATCH), IN_DIGITS] = 1,
) -> dict[str, Any]:
    """File a monthly D02-LT list (see FILING_DESCRIPTION)."""
    # A plain (threadpool) route: filing takes up to a second of work that must not hold up
    # the server's event loop and every other request with it.
    g.employer(code)
    # Each filing checks its lines' names: counted per unit, so it cannot probe names at will.
    ratelimit.limit(request, "declaration", who=code,
                    per_minute=get_access_settings().declaration_rate_per_minute)
    # An officer's check read the unit's province: end that read-only transaction, which on
    # SQLite holds the store's only write lock, before the file is read (an XLSX takes seconds).
    g.session.commit()
    name = file.filename or "declaration.csv"
    period = Period.parse(month)
    if (file.size or 0) > ASYNC_BYTES:
        job = jobs.start(upload=file.file, file_name=name, employer_code=code, month=period,
                         batch_no=batch, session=g.session,
                         log=lambda ids, session, outcome, detail: g.logged(
                             ids, session=session, outcome=outcome, detail=detail),
                         filed_by=jobs.filer(g.principal))
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"/api/v1/employers/{code}/declaration-jobs/{job.job_id}"
        response.headers["Retry-After"] = str(POLL_AFTER_SECONDS)
        return job.as_dict()
    try:
        result = declare(session=g.session, data=file.file.read(), file_name=name,
                         employer_code=code, month=period, batch_no=batch)
    except (DeclarationRefused, ConcurrentFiling) as refused:
        # Its checks read the persons it named: logged, though nothing changed.
        raise g.refuse(refused, "refused", refused.person_ids,
                       detail=details.declaration(code, period, batch)) from None
    if not result["replayed"]:
        g.logged(staging.person_ids(g.session.connection()), detail=details.declaration(
            code, period, batch, result["declaration_id"]))
    return {"accepted": True, **result}


# Documented, not re-validated (as the other answers here): a job's stored result is sent as
# it was recorded, so a key added to the answer since cannot turn a poll into a 500.
@router.get("/employers/{code}/declaration-jobs/{job_id}", response_model=None,
            responses=POLLED)
@reads_only  # on SQLite, answered while the filing it follows holds the store
def declaration_job(code: UnitCodePath, job_id: Annotated[str, PathParam(
        description="The job's id, as the 202's Location names it")], g: Declarer,
                    response: Response) -> dict[str, Any]:
    """Progress and result of a large filing."""
    g.employer(code)
    job = jobs.get(job_id, session=g.session)
    if job is None or job.employer != code:
        raise NotFoundError("no such declaration job", field="job_id")
    # Only a refused job's errors tell of persons (a running one's progress, an accepted one's
    # counts and dues, a failed one's reason name nobody): read by anyone but its filer, whose
    # read is the refusal's own entry, they are logged as the refusal was. Finished, the job
    # holds no lock: the poll's reading transaction ends and a writing one logs them.
    refusal = job.refusal
    if refusal is not None and refusal.filed_by != jobs.filer(g.principal):
        g.session.commit()
        begin_writing(g.session)
        g.logged(refusal.person_ids, outcome="refused", detail=refusal.detail)
    answer = job.as_dict()
    if answer["status"] in ("queued", "running"):
        response.headers["Retry-After"] = str(POLL_AFTER_SECONDS)
    return answer


@router.post("/employers/{code}/payments", status_code=status.HTTP_201_CREATED,
             response_model=None, responses=POSTED | CONFLICT)
def post_employer_payment(code: UnitCodePath, body: PaymentIn, g: Payer
                          ) -> dict[str, Any] | JSONResponse:
    """Post a remittance from the bank's statement (a clerk of the unit's province, never the
    employer); it pays the oldest dues first; the same reference twice is one payment, and
    with another amount or date it is refused (409 naming the field that differs)."""
    g.employer(code)
    try:
        posted = post(session=g.session, employer_code=code, amount=body.amount,
                      bank_reference=body.reference, paid_on=body.paid_on)
    except PaymentConflict as exc:
        return conflict(exc)
    g.logged(posted.person_ids, detail=posted.detail)
    return {"posted": True, **posted.answer}


@router.get("/employers/{code}/ledger", response_model=None, responses={
    200: {"model": EmployerLedger, "description": "The unit's months as of the day"}})
def employer_ledger(code: UnitCodePath, g: Reader, as_of: AsOfQuery = None) -> dict[str, Any]:
    """Dues, payments, late interest and evasion per month."""
    g.employer(code)
    return queries.employer_ledger(session=g.session, code=code, as_of=as_of)


@router.get("/employers/{code}/below-minimum", response_model=None, responses={
    200: {"model": BelowMinimum, "description": "The unit's workers paid below the month's "
                                                "regional minimum"}})
def below_minimum(code: UnitCodePath, g: Reader, month: Annotated[str | None, Query(
        pattern=MONTH_PATTERN, description="YYYY-MM (default this month)")] = None,
                  ) -> dict[str, Any]:
    """Workers whose declared salary is below the regional minimum of ``month`` (the minimum
    was raised after their pay was declared): the adjustments (DC) the unit has to file."""
    g.employer(code)
    answer, person_ids = queries.below_minimum(
        session=g.session, code=code,
        month=Period.parse(month) if month else Period.of(date.today()))
    g.logged(person_ids)
    left = g.identities_at_leaving(person_ids)  # a worker since gone: named as they were then
    for worker, person_id in zip(answer["workers"], person_ids, strict=True):
        if person_id in left:
            worker["full_name"] = left[person_id].full_name
    return answer


@router.get("/persons/{personal_id}/ledger", response_model=None, responses={
    200: {"model": PersonLedger, "description": "The person's months as of the day (an "
                                                "employer's view: its own months only)"}})
def person_ledger(
    personal_id: PersonalIdPath,
    g: Reader,
    as_of: AsOfQuery = None,
    since: Annotated[str | None, Query(alias="from", pattern=MONTH_PATTERN, description=(
        "The first month listed (YYYY-MM); the summary still counts every month"))] = None,
) -> dict[str, Any]:
    """A person's months: paid, partly paid, unpaid (employers see their own months only).
    A person of the defence or public-security realm is answered to their realm's officers
    only: the units and pay are state secrets their own book leaves out too (403)."""
    person_id = g.person(personal_id)
    g.kept_by_the_ministry(person_id, "months")
    return queries.person_ledger(
        session=g.session,
        person_id=person_id,
        personal_id=personal_id,
        as_of=as_of,
        since=Period.parse(since) if since else None,
        employer_code=g.own_unit(),
    )
