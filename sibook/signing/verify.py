"""One door for checking a book: a signed PDF or a ``SIB1:`` QR text, offline.

Checks signature, certificate chain up to a trust-list root, certificate validity, and
revocation of the book version, and that a QR is a book's (an HI card's QR is signed the same
way but proves no book); answers in the contract's shape
``{"valid", "personal_id", "version", "signer", "errors"}``. Never raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sibook.signing.pades import PDF_MAGIC, validate_pdf
from sibook.signing.qr import revoked, verify_qr
from sibook.signing.status import RevocationStatus
from sibook.signing.trust_list import TrustList

NOT_A_BOOK_QR = "this is an HI card's QR, not a book's"


@dataclass
class VerifyResult:
    valid: bool
    personal_id: str | None = None
    version: int | None = None
    signer: str | None = None
    errors: list[str] = field(default_factory=list)
    kind: str = "unknown"  # "pdf", "qr" or "unknown"; not part of the contract's JSON
    payload: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The contract's JSON object."""
        return {"valid": self.valid, "personal_id": self.personal_id, "version": self.version,
                "signer": self.signer, "errors": list(self.errors)}


def verify(data: bytes, *, trust_list: TrustList,
           status: RevocationStatus | None = None) -> VerifyResult:
    """Verify a book PDF or QR text given as bytes (as read from a file)."""
    if PDF_MAGIC in data[:1024]:
        return _verify_pdf(data, trust_list, status)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return VerifyResult(valid=False, errors=[
            "not a PDF and not QR text: the input is neither %PDF- nor UTF-8"])
    qr = verify_qr(text, trust_list, status=status)
    personal_id, version = _identity(qr.payload)
    errors = list(qr.errors)
    if qr.document == "hi_card":  # genuine, but a card: it must not pass for the book itself
        errors.insert(0, NOT_A_BOOK_QR)
    return VerifyResult(valid=qr.valid and not errors, personal_id=personal_id,
                        version=version, signer=qr.signer, errors=errors, kind="qr",
                        payload=qr.payload)


def _verify_pdf(data: bytes, trust_list: TrustList,
                status: RevocationStatus | None) -> VerifyResult:
    pdf = validate_pdf(data, trust_list)
    book = pdf.book or {}
    personal_id, version = _identity(book)
    errors = list(pdf.errors)
    if pdf.book is None:
        if not errors:
            errors.append("the PDF carries no /SIBook metadata: not a book")
    elif status is not None:
        reason = revoked(status, book)
        if reason:
            errors.append(reason)
    return VerifyResult(valid=not errors, personal_id=personal_id, version=version,
                        signer=pdf.signer, errors=errors, kind="pdf", payload=book)


def _identity(payload: dict[str, Any]) -> tuple[str | None, int | None]:
    personal_id, version = payload.get("personal_id"), payload.get("version")
    return (personal_id if isinstance(personal_id, str) else None,
            version if isinstance(version, int) and not isinstance(version, bool) else None)
