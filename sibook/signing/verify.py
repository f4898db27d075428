"""One door for checking a book: a signed PDF or a ``SIB1:`` QR text, offline.

Checks signature, certificate chain up to a trust-list root, certificate validity, that the
book was signed by its own realm's issuer and not issued in the future (``claims``), and
revocation of the book version, and that a QR is a book's (an HI card's QR is signed the same
way but proves no book); answers in the contract's shape
``{"valid", "personal_id", "version", "signer", "errors"}``, plus ``warnings`` when there are
any. Never raises on bad input.

A revocation list past its ``next_update``, written before lists had one, or missing for the
book's realm cannot vouch that the version was not revoked since (status.py). The choice, as
X.509 practice treats an expired CRL: soft-fail by default, ``valid`` as the signature and the
list say, the staleness and the list's ``next_update`` in ``warnings``; hard-fail when
``strict``, ``valid`` false with the reason in ``errors``. Checked for book versions only.
"""

from __future__ import annotations

from codecs import BOM_UTF8
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sibook.signing import certs
from sibook.signing.claims import future_problem, latest_issue, realm_problem
from sibook.signing.not_text import QR_TEXT, file_kind
from sibook.signing.qr import AROUND_TEXT, PREFIX, revoked, verify_qr
from sibook.signing.status import RevocationStatus
from sibook.signing.trust_list import TrustList

NOT_A_BOOK_QR = "this is an HI card's QR, not a book's"
NO_LIST = "no revocation list was given: revoked book versions cannot be known"
# The most read of what is given to check, at the API and the command line alike: a book PDF is
# tens of KB and a QR text at most 4,296 characters, so anything larger is refused unread.
MAX_INPUT = 20 * 1024 * 1024


@dataclass
class VerifyResult:
    valid: bool
    personal_id: str | None = None
    version: int | None = None
    signer: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: str = "unknown"  # "pdf", "qr" or "unknown"; not part of the contract's JSON
    payload: dict[str, Any] = field(default_factory=dict)
    realm: str | None = None  # of the signing key, when the trust list holds it
    # The agency signed this book version and nothing was altered since (revoked or not): only
    # then may anything be said of the version it names, such as a newer one.
    genuine: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The contract's JSON object; ``warnings`` is added only when there are any, so the
        usual answer has exactly the contract's keys."""
        answer = {"valid": self.valid, "personal_id": self.personal_id,
                  "version": self.version, "signer": self.signer, "errors": list(self.errors)}
        return answer | {"warnings": list(self.warnings)} if self.warnings else answer


# Where a PDF's header may start (readers allow up to 1 KiB of junk before it). pyHanko is loaded
# only when a PDF is checked: verifying QR text never needs it (~0.2 s of each CLI call).
PDF_MAGIC = b"%PDF-"


def verify(data: bytes, *, trust_list: TrustList, status: RevocationStatus | None = None,
           strict: bool = False, now: datetime | None = None) -> VerifyResult:
    """Verify a book PDF or QR text given as bytes (as read from a file), at ``now``."""
    if not data.removeprefix(BOM_UTF8).strip():  # an empty file is not a QR with a bad prefix
        return VerifyResult(valid=False, errors=[
            "empty input: nothing to verify (give a book's PDF or the text of its QR)"])
    if PDF_MAGIC in data[:1024] and not _qr_text(data):
        result = _verify_pdf(data, trust_list, status, now or datetime.now(UTC))
    else:
        try:
            text = data.decode("utf-8-sig")  # a BOM (Notepad's UTF-8) is no part of the text
        except UnicodeDecodeError:
            kind = file_kind(data)  # a PDF's is read above, so an image's if any
            return VerifyResult(valid=False, errors=[
                f"{kind}, not a book's PDF or QR text: give the PDF, or {QR_TEXT}"
                if kind else "not a PDF and not QR text: the input is neither %PDF- nor UTF-8"])
        result = _verify_qr(text, trust_list, status, now)
    if NOT_A_BOOK_QR not in result.errors:  # a card's QR proves no book version anyway
        _judge_list(result, status, strict, now or datetime.now(UTC))
    result.valid = not result.errors
    return result


def _qr_text(data: bytes) -> bool:
    """Whether ``data`` starts as a QR's text does (what may surround it aside): then it is QR
    text, whatever follows. Base45 has the letters of "%PDF-", and about one QR in 200,000
    holds them within its first KiB; a book PDF never starts so."""
    return data.removeprefix(BOM_UTF8).lstrip(AROUND_TEXT.encode("ascii")).startswith(
        PREFIX.encode("ascii"))


def _verify_qr(text: str, trust_list: TrustList, status: RevocationStatus | None,
               now: datetime | None) -> VerifyResult:
    qr = verify_qr(text, trust_list, status=status, now=now)
    personal_id, version = _identity(qr.payload)
    errors = list(qr.errors)
    if qr.document == "hi_card":  # genuine, but a card: it must not pass for the book itself
        errors.insert(0, NOT_A_BOOK_QR)
    genuine = qr.document == "book" and all(e == qr.revocation for e in qr.errors)
    return VerifyResult(valid=False, personal_id=personal_id, version=version,
                        signer=qr.signer, errors=errors, kind="qr", payload=qr.payload,
                        realm=_realm(trust_list, qr.key_id), genuine=genuine)


def _verify_pdf(data: bytes, trust_list: TrustList, status: RevocationStatus | None,
                now: datetime) -> VerifyResult:
    from sibook.signing.pades import validate_pdf

    pdf = validate_pdf(data, trust_list)
    book = pdf.book or {}
    personal_id, version = _identity(book)
    errors = list(pdf.errors)
    signer = trust_list.issuer(bytes.fromhex(pdf.key_id)) if pdf.key_id else None
    if pdf.book is not None and signer is not None:  # what the signature vouches for, as a QR's
        said = (future_problem(latest_issue(pdf.signed_at, book), now),
                realm_problem(book, signer))
        errors += [problem for problem in said if problem]
    genuine = not errors and pdf.book is not None
    if pdf.book is None:
        if not errors:
            errors.append("the PDF carries no /SIBook metadata: not a book")
    elif status is not None:
        reason = revoked(status, book)
        if reason:
            errors.append(reason)
    return VerifyResult(valid=False, personal_id=personal_id, version=version,
                        signer=pdf.signer, errors=errors, kind="pdf", payload=book,
                        realm=_realm(trust_list, pdf.key_id), genuine=genuine)


def _judge_list(result: VerifyResult, status: RevocationStatus | None, strict: bool,
                now: datetime) -> None:
    """Say whether the revocation list could vouch for this book version (see above)."""
    if result.personal_id is None or result.version is None or result.realm is None:
        return  # no book version of ours was identified: there was nothing to look up
    problem = NO_LIST if status is None else status.staleness(result.realm, now)
    if problem is None:
        return
    if strict:
        result.errors.append(f"strict verification refuses it: {problem}")
    else:
        result.warnings.append(problem)


def _realm(trust_list: TrustList, key_id: str | None) -> str | None:
    if key_id is None:
        return None
    cert = trust_list.issuer(bytes.fromhex(key_id))
    return certs.realm_of(cert) if cert is not None else None


def _identity(payload: dict[str, Any]) -> tuple[str | None, int | None]:
    personal_id, version = payload.get("personal_id"), payload.get("version")
    return (personal_id if isinstance(personal_id, str) else None,
            version if isinstance(version, int) and not isinstance(version, bool) else None)
