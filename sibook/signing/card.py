"""Checking an HI card's QR offline, as a health facility does at admission (Decree 188/2025
Art 37-38): the agency's signature with only the trust list, and whether the card is valid on
the day. The card's QR is signed by the same pipeline as a book's (``issuing.hi_card``) but
proves no book version, so it has its own answer. Never raises on bad input.

A book version revoked on suspected fraud does not void the card made from it: coverage is the
registry's, not the book's, and care at admission is not refused over a doubt about a
contribution history. The facility's online check (``GET /api/v1/hi-cards/{id}/validity``)
reads the registry's cards as they are now."""

from __future__ import annotations

from codecs import BOM_UTF8
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sibook.signing.not_text import QR_TEXT, file_kind
from sibook.signing.qr import verify_qr
from sibook.signing.trust_list import TrustList

NOT_A_CARD_QR = "this is a book's QR, not an HI card's"


@dataclass
class CardAnswer:
    valid: bool
    card_number: str | None = None
    personal_id: str | None = None
    full_name: str | None = None
    benefit_level: int | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    signer: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify_card(data: bytes, *, trust_list: TrustList, on: date) -> CardAnswer:
    """The card a QR text (as read from a file or a scanner) carries, and whether it is
    genuine and valid ``on`` that day."""
    if not data.removeprefix(BOM_UTF8).strip():  # an empty file is not a QR with a bad prefix
        return CardAnswer(valid=False, errors=[
            "empty input: nothing to verify (give the text of an HI card's QR)"])
    try:
        text = data.decode("utf-8-sig")  # a BOM (Notepad's UTF-8) is no part of the text
    except UnicodeDecodeError:
        kind = file_kind(data)
        return CardAnswer(valid=False, errors=[
            f"{kind}, not QR text: give {QR_TEXT}" if kind else
            "not QR text: the input is not UTF-8"])
    qr = verify_qr(text, trust_list)  # which strips what may surround the text
    p = qr.payload
    answer = CardAnswer(valid=False, signer=qr.signer, errors=list(qr.errors))
    if qr.document != "hi_card":
        if not answer.errors or p:
            answer.errors.insert(0, NOT_A_CARD_QR)
        return answer
    level = p.get("benefit_level")
    answer.card_number, answer.personal_id = _text(p, "card_number"), _text(p, "personal_id")
    answer.full_name = _text(p, "name")
    answer.benefit_level = level if isinstance(level, int) else None
    answer.valid_from, answer.valid_to = _text(p, "valid_from"), _text(p, "valid_to")
    if not answer.errors and not (answer.valid_from or "") <= on.isoformat() <= (
            answer.valid_to or ""):
        answer.errors.append(f"the card is not valid on {on.isoformat()}: valid "
                             f"{answer.valid_from} to {answer.valid_to}")
    answer.valid = not answer.errors
    return answer


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None
