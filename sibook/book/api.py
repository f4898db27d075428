"""HTTP adapter of the book: the JSON book, its signed PDF, QR and HI card; verify; trust list
and revocation list.

A citizen reads only their own book and other-realm persons are absent: the access policy
decides (``require(Action.BOOK_READ)`` + ``guard.person``). Verification, the trust list and
the civil revocation list are public: anyone shown a book must be able to check it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sibook.access.deps import require
from sibook.access.policy import Action, Guard
from sibook.api.params import ONE_FILE, AsOfQuery, PersonalIdPath
from sibook.api.problems import CONFLICT, Responses
from sibook.book import issuing, service, versions
from sibook.book.card_image import no_card_png
from sibook.book.estimate import estimate
from sibook.book.schema import BenefitEstimate, BookAnswer, BookHistory
from sibook.core.digits import IN_DIGITS
from sibook.core.errors import NotFoundError, SibookError, ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.signing import status
from sibook.signing.card import CardAnswer, verify_card
from sibook.signing.keys import NoKeys
from sibook.signing.verify import MAX_INPUT
from sibook.signing.verify import verify as check

_log = logging.getLogger(__name__)
T = TypeVar("T")


def _only(media_type: str, description: str) -> Responses:
    """A 200 of ``media_type`` alone. Its route's response class is the bare ``Response`` (no
    media type), so FastAPI declares the refusals as what they are, JSON."""
    return {200: {"description": description, "content": {media_type: {}}}}


PDF = _only("application/pdf", "The signed book (PAdES)")
PNG = _only("image/png", "The health-insurance card")
QR = _only("text/plain", "The book's signed QR text (COSE)")
CARD_QR = _only("text/plain", "The HI card's signed QR text (COSE), as its image carries it: "
                "what POST /hi-cards/verify checks")
PEM = _only("application/x-pem-file", "The trust list: the agency's root certificate and the "
             "issuing certificates of each realm (PEM), all a verifier needs")
router = APIRouter(tags=["book"])

ReadGuard = Annotated[Guard, Depends(require(Action.BOOK_READ))]
ApproverGuard = Annotated[Guard, Depends(require(Action.BOOK_ISSUE))]
PublicGuard = Annotated[Guard, Depends(require(Action.PUBLIC))]
VersionPath = Annotated[int, PathParam(ge=1, le=versions.MAX_VERSION, description="Book version"),
                      IN_DIGITS]


def _current(g: Guard, personal_id: str) -> versions.Version:
    return _current_of(g, g.person(personal_id))  # 404 unless visible to the caller; logged


def _current_of(g: Guard, person_id: int) -> versions.Version:
    version, _ = service.current_version(session=g.session, person_id=person_id,
                                         as_of=date.today())
    g.session.commit()  # nothing here is signed: what signs a version records it by _signed
    return version


@router.get("/books/{personal_id}", response_model=None, responses={
    200: {"model": BookAnswer, "description": "The current version of the book (recorded "
                                              "first if the facts changed)"}})
def read_book(personal_id: PersonalIdPath, g: ReadGuard) -> dict[str, Any]:
    v = _current(g, personal_id)
    return {"version": v.version, "content_hash": v.content_hash, "prev_hash": v.prev_hash,
            "book": v.payload}


@router.get("/books/{personal_id}/estimate", response_model=BenefitEstimate)
def benefit_estimate(personal_id: PersonalIdPath, g: ReadGuard) -> dict[str, Any]:
    """A pension if the person retired this month, or a one-time withdrawal, estimated from
    the current book version by the law's formulas (``sibook book estimate``)."""
    return estimate(_current(g, personal_id).payload, Period.of(date.today()))


@router.get("/books/{personal_id}/versions", response_model=BookHistory)
def book_history(personal_id: PersonalIdPath, g: ReadGuard) -> BookHistory:
    """Every version, oldest first, ending with today's content (recorded first if the facts
    changed), and whether the hash chain is intact (``sibook book history``)."""
    person_id = g.person(personal_id)
    _current_of(g, person_id)
    return BookHistory.model_validate(issuing.history(g.session, person_id=person_id,
                                                      personal_id=personal_id))


@router.get("/books/{personal_id}/versions/{version}", response_model=None, responses={
    200: {"model": BookAnswer, "description": "That version of the book, as it was recorded"}})
def read_book_version(personal_id: PersonalIdPath, version: VersionPath, g: ReadGuard
                      ) -> dict[str, Any]:
    """An earlier (or the current) version as it was recorded: old versions stay readable.
    404 for a version never recorded."""
    person_id = g.person(personal_id)
    v = versions.get(session=g.session, person_id=person_id, version=version)
    if v is None:  # the person's book was read: logged, though it has no such version
        raise g.refuse(NotFoundError(f"book {personal_id} has no version {version}",
                                     field="version"),
                       "refused", (person_id,))
    return {"version": v.version, "content_hash": v.content_hash, "prev_hash": v.prev_hash,
            "book": v.payload}


def _signed(g: Guard, personal_id: str, sign: Callable[[versions.Version, issuing.Agency], T]
            ) -> tuple[versions.Version, T]:
    """The current version and what ``sign`` makes of it, as one outcome: a version recorded
    now commits only once it is signed, so signing that fails (a wrong key passphrase, an
    expired certificate, a revoked version) records nothing; the refusal is logged, and nothing
    signed is answered before its version is recorded."""
    person_id = g.person(personal_id)  # 404 unless visible to the caller; logged
    version, _ = service.current_version(session=g.session, person_id=person_id,
                                         as_of=date.today())
    try:
        signed = sign(version, issuing.agency())
    except SibookError as exc:
        raise g.refuse(exc, "refused", [person_id]) from None
    g.session.commit()
    return version, signed


@router.get("/books/{personal_id}/pdf", response_class=Response,
            responses=PDF | CONFLICT)
def book_pdf(personal_id: PersonalIdPath, g: ReadGuard) -> Response:
    v, pdf = _signed(g, personal_id, issuing.book_pdf)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="sibook-{personal_id}-v{v.version}.pdf"'})


@router.get("/books/{personal_id}/qr", response_class=Response, responses=QR | CONFLICT)
def book_qr(personal_id: PersonalIdPath, g: ReadGuard) -> Response:
    def qr(v: versions.Version, a: issuing.Agency) -> str:
        issuing.refuse_revoked(v, a)
        return issuing.issue_qr(v, a.signer(v.payload["header"]["realm"]))

    return PlainTextResponse(_signed(g, personal_id, qr)[1])


@router.get("/books/{personal_id}/card.png", response_class=Response, responses=PNG)
def hi_card(personal_id: PersonalIdPath, g: ReadGuard) -> Response:
    def card(v: versions.Version, a: issuing.Agency) -> bytes:
        try:
            return issuing.hi_card(v, a)[1]
        except NotFoundError:  # a visible person without a card: say so on the card, unsigned
            return no_card_png(v.payload["header"])

    return Response(_signed(g, personal_id, card)[1], media_type="image/png")


@router.get("/books/{personal_id}/card/qr", response_class=Response, responses=CARD_QR)
def hi_card_qr(personal_id: PersonalIdPath, g: ReadGuard) -> Response:
    """The QR text of the person's HI card valid today (else their latest), signed from the
    current book version as the card image's (``sibook book card --qr``); 404 for a person
    with no card. A card stands while its book version is revoked: coverage is the
    registry's."""
    def qr(v: versions.Version, a: issuing.Agency) -> str:
        return issuing.card_qr(v, a)[1]

    return PlainTextResponse(_signed(g, personal_id, qr)[1])


class RevocationIn(BaseModel):
    # A misspelt key is refused, as in every other body, never dropped while the version is
    # revoked all the same.
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=issuing.MAX_REASON, pattern=r"\S",
                        description="Why, e.g. suspected fraud: kept in the realm's signed list "
                                    "for officers, never published")


class RevocationOut(BaseModel):
    """The entry in the realm's signed list (the public list shows ``book_hash`` and
    ``revoked_at`` only)."""

    personal_id: str
    version: int
    reason: str
    revoked_at: str
    book_hash: str | None


class Revoked(BaseModel):
    revoked: RevocationOut


class VersionRef(BaseModel):
    personal_id: str
    version: int


class ReinstatedRef(VersionRef):
    reinstated_at: str = Field(description="When the revocation was lifted (ISO 8601, UTC); "
                                            "a retried reinstatement answers the first's")


class Reinstated(BaseModel):
    reinstated: ReinstatedRef


@router.post("/books/{personal_id}/versions/{version}/revocation", status_code=201,
             responses=CONFLICT)
def revoke_version(personal_id: PersonalIdPath, version: VersionPath, body: RevocationIn,
                   g: ApproverGuard) -> Revoked:
    """Temporarily revoke one version (suspected fraud): verification then reports it revoked
    and it is no longer handed out. Approvers of the person's realm only."""
    person_id = g.person(personal_id)
    g.session.commit()  # the act is logged before the signed list changes
    try:
        entry = issuing.revoke_version(g.session, issuing.agency(), person_id=person_id,
                                       personal_id=personal_id, version=version,
                                       reason=body.reason)
    except SibookError as exc:
        raise g.refuse(exc, "refused", [person_id]) from None
    return Revoked(revoked=RevocationOut(**entry.__dict__))


@router.delete("/books/{personal_id}/versions/{version}/revocation", responses=CONFLICT)
def reinstate_version(personal_id: PersonalIdPath, version: VersionPath,
                      g: ApproverGuard) -> Reinstated:
    """Lift a temporary revocation (the suspicion was cleared): the version is valid again.
    Sent again, it answers the reinstatement on record (200, as the first); 409 when the
    version was never revoked (it verifies as valid)."""
    person_id = g.person(personal_id)
    g.session.commit()  # the act is logged before the signed list changes
    try:
        lifted = issuing.reinstate_version(g.session, issuing.agency(), person_id=person_id,
                                           personal_id=personal_id, version=version)
    except SibookError as exc:  # the attempt stays in the person's access log
        raise g.refuse(exc, "refused", [person_id]) from None
    return Reinstated(reinstated=ReinstatedRef(personal_id=personal_id, version=version,
                                               reinstated_at=lifted.reinstated_at))


class VerifyAnswer(BaseModel):
    """The contract's answer, as ``sibook book verify --json`` prints it."""

    valid: bool
    personal_id: str | None
    version: int | None
    signer: str | None
    errors: list[str]
    warnings: list[str] | None = Field(
        default=None, description="Only when there are any (a stale or missing revocation list)")
    newer_version: int | None = Field(
        default=None, description="Only when a newer version of this civil book was issued")


@router.post("/verify", response_model=VerifyAnswer, response_model_exclude_unset=True,
             dependencies=[ONE_FILE])
def verify(g: PublicGuard, file: Annotated[UploadFile, File(
        description="A book PDF or a text file holding the QR text")],
        strict: Annotated[bool, Query(description=(
            "A stale or missing revocation list makes the book invalid (in errors) instead "
            "of a warning"))] = False) -> dict[str, Any]:
    """The contract's answer ``{valid, personal_id, version, signer, errors}``, and
    ``warnings`` when there are any. The agency's own revocation lists are used, each
    re-signed first when stale (the server holds the keys); one it cannot re-sign is named in
    warnings (errors when ``strict``). A revoked version is answered with when, never why."""
    # A plain (threadpool) route, not async: pyHanko's validation runs its own event loop
    # (asyncio.run), which cannot start inside the server's.
    data = file.file.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        return {"valid": False, "personal_id": None, "version": None, "signer": None,
                "errors": [f"upload larger than {MAX_INPUT} bytes: not a book"]}
    a = _public_agency("verify")
    if a is None:
        return _cannot_verify(KEYS_NOT_READY)
    trust = a.trust_list()
    now = datetime.now(UTC)
    refused: dict[str, ValidationError] = {}  # an altered list speaks for no book of its realm
    lists = status.current_lists(a.keys_dir, trust, a.signer, now=now, refused=refused).public()
    checked = check(data, trust_list=trust, status=lists, strict=strict, now=now)
    if checked.realm in refused:  # named by realm: the server's folders are not the public's
        return _cannot_verify(f"the agency's revocation list of the {checked.realm} realm "
                              "cannot be read or was altered; try again later")
    result = checked.as_dict()
    # Only of a genuine book: the names in an altered or foreign file would let anyone ask
    # whether any personal ID has a book.
    if checked.genuine and result["personal_id"] and isinstance(result["version"], int):
        newer = _newer(g, result["personal_id"], result["version"])
        if newer is not None:
            result["newer_version"] = newer
    return result


class CardCheck(BaseModel):
    """An HI card's QR as checked offline (``sibook book verify-card --json``)."""

    valid: bool
    card_number: str | None
    personal_id: str | None
    full_name: str | None
    benefit_level: int | None
    valid_from: str | None
    valid_to: str | None
    signer: str | None
    errors: list[str]


@router.post("/hi-cards/verify", response_model=CardCheck, dependencies=[ONE_FILE])
def verify_hi_card(g: PublicGuard, file: Annotated[UploadFile, File(
        description="A text file holding the card's QR text (as a scanner reads it)")],
        as_of: AsOfQuery = None) -> CardCheck:
    """Whether an HI card's QR is the agency's and the card valid on the day (default today):
    what a health facility checks at admission, from the card the patient shows. It answers
    only what the QR itself carries."""
    data = file.file.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        return CardCheck(**CardAnswer(valid=False, errors=[
            f"upload larger than {MAX_INPUT} bytes: not a card's QR"]).as_dict())
    a = _public_agency("HI card verify")
    if a is None:
        return CardCheck(**CardAnswer(valid=False, errors=[f"cannot verify: {KEYS_NOT_READY}"]
                                      ).as_dict())
    answer = verify_card(data, trust_list=a.trust_list(), on=as_of or date.today())
    return CardCheck(**answer.as_dict())


# What the public is told while the server has no keys: the operator's problem, logged for them
# with the folder and `sibook keys init`; the server's folders are not the public's to know.
KEYS_NOT_READY = "the agency's signing keys are not set up on this server yet; try again later"


def _public_agency(route: str) -> issuing.Agency | None:
    """The agency's keys as a public route reads them: never made by it (a verify must not
    mint the agency's keys), None while ``sibook keys init`` has not run."""
    try:
        return issuing.agency(initialise=False)
    except NoKeys as exc:
        _log.warning("public %s answered without keys: %s", route, exc)
        return None


def _agency_or_503(route: str) -> issuing.Agency:
    """``_public_agency`` for a route with nothing to answer without keys: 503, to retry."""
    a = _public_agency(route)
    if a is None:
        raise HTTPException(503, KEYS_NOT_READY, headers={"Retry-After": "60"})
    return a


def _cannot_verify(reason: str) -> dict[str, Any]:
    return {"valid": False, "personal_id": None, "version": None, "signer": None,
            "errors": [f"cannot verify: {reason}"]}


def _newer(g: Guard, personal_id: str, version: int) -> int | None:
    # Public: answer for civil books only, so the endpoint cannot probe other realms.
    try:
        person_id = registry.person_id_of(session=g.session, personal_id=personal_id)
    except ValidationError:
        return None
    last = versions.latest(session=g.session, person_id=person_id)
    return last.version if last and last.version > version else None


@router.get("/trust-list", response_class=Response, responses=PEM)
def trust_list(g: PublicGuard) -> Response:
    """The root and every issuing certificate (``sibook trust-list export``). 503 while the
    server has no keys (``sibook keys init`` has not run): never made here."""
    pem: bytes = _agency_or_503("trust list").trust_list().to_pem()
    return Response(pem, media_type="application/x-pem-file")


class RevokedVersion(BaseModel):
    """A revoked book version as the public sees it: by the content hash its QR and PDF carry
    (``book_hash``), with when; never whose or why (a revocation recorded before hashes were
    kept is named by its version's hash too)."""

    book_hash: str
    revoked_at: str


class SignedRevocationList(BaseModel):
    """The civil realm's signed revocation list, as ``sibook trust-list export-revocations``
    writes it. Save it and verify offline with ``sibook book verify FILE --revocations it
    --trust-list trust.pem``, or check ``signature`` (base64 DER ECDSA-SHA256 by the issuing key
    ``kid`` of the trust list) over the canonical JSON of entries, signed_at and next_update
    (sorted keys, no spaces, UTF-8). Past ``next_update`` it is stale: fetch it again."""

    entries: list[RevokedVersion]
    signed_at: str
    next_update: str | None = None  # absent only from a list of an earlier version
    kid: str
    signature: str


@router.get("/revocations", response_model_exclude_none=True)  # as signed: no nulls added
def revocations(g: PublicGuard) -> SignedRevocationList:
    """Only the civil list: the defence and public-security lists are never published. 503
    while the agency's list cannot be read or was altered (never published so), or the server
    has no keys yet."""
    a = _agency_or_503("revocation list")
    try:
        signed = issuing.published_revocations(g.session, a)
    except ValidationError as exc:  # the server's own file: its folder is in the log, not here
        _log.warning("the civil revocation list cannot be published: %s", exc)
        raise HTTPException(503, "the revocation list cannot be published now; try again "
                                 "later", headers={"Retry-After": "60"}) from None
    return SignedRevocationList.model_validate(signed)
