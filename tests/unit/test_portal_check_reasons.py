"""Every reason the checks give (``sibook.signing``'s verify of a PDF or a QR, the HI card's
check, the API's own refusals) has its Vietnamese words on ``/portal/verify``: each is made
here for real, by the input that gives it, and none is left to the English-only fallback."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from sibook.book.api import KEYS_NOT_READY
from sibook.portal.reasons import CHECK_VI, DAMAGED_QR_VI, OTHER_VI, check_vi
from sibook.signing._base45 import b45encode
from sibook.signing.card import verify_card
from sibook.signing.pades import _pyhanko_signer, sign_pdf, validate_pdf
from sibook.signing.qr import PREFIX, sign_qr
from sibook.signing.status import Freshness, RevocationList
from sibook.signing.verify import MAX_INPUT, verify
from tests.unit import test_signing_support as support
from tests.unit.test_signing_support import Agency, book_payload, make_agency, tiny_pdf

PNG, JPEG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xd8\xff\xe0\x00\x10JFIF"
CARD = {"card_number": "GD4797931234567", "benefit_level": 4, "valid_from": "2026-01-01",
        "valid_to": "2026-12-31", "personal_id": "001090001234", "realm": "civil", "version": 3}


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Agency:
    return make_agency(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def expired(tmp_path_factory: pytest.TempPathFactory) -> Agency:
    """Another agency's keys, whose issuing certificate expired long ago."""
    return make_agency(tmp_path_factory.mktemp("old"), now=datetime(2020, 1, 1, tzinfo=UTC),
                       issuer_days=30)


def _set(pdf: bytes, at: int, byte: int) -> bytes:
    changed = bytearray(pdf)
    changed[at] = byte
    return bytes(changed)


def _second_signature(pdf: bytes, agency: Agency) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name="Second", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, signer=_pyhanko_signer(agency.signer)).sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf), strict=False), bytes_reserved=8192)
    return bytes(out.getvalue())


def _cose(protected: dict[int, object]) -> str:
    message = cbor2.CBORTag(18, [cbor2.dumps(protected), {}, b"x", b"y" * 64])
    return PREFIX + b45encode(zlib.compress(cbor2.dumps(message))).decode()


def _pdf_reasons(agency: Agency, expired: Agency) -> Iterator[list[str]]:
    signed = sign_pdf(tiny_pdf(), agency.signer, book=book_payload())
    trust = agency.trust_list
    start, end = support.contents_span(signed)
    letter = next(at for at in range(start, end) if signed[at:at + 1] in b"ABCDEF")
    root = trust.roots[0].public_bytes(serialization.Encoding.DER).hex().upper()
    in_root = signed.index(root[-200:].encode(), start, end) + 20
    text = signed.index(b"social insurance")
    for pdf in (
            _set(signed, text, ord("S")),  # a signed byte
            signed + b"\n% appended\n",
            _second_signature(signed, agency),
            tiny_pdf(), b"%PDF-1.7\nnot really", sign_pdf(tiny_pdf(), agency.signer),
            support.zeroed_contents(signed), support.flipped_signing_time(signed),
            _set(signed, letter, signed[letter] | 0x20), _set(signed, end - 10, ord("1")),
            _set(signed, in_root, ord("0") if signed[in_root] != ord("0") else ord("1"))):
        yield verify(pdf, trust_list=trust).errors
    yield verify(signed, trust_list=expired.trust_list).errors  # another agency's list
    yield verify(sign_pdf(tiny_pdf(), expired.signer, book=book_payload()),
                 trust_list=expired.trust_list).errors
    yield validate_pdf(b"no header", trust).errors


def _qr_reasons(agency: Agency, expired: Agency) -> Iterator[list[str]]:
    trust = agency.trust_list
    book = sign_qr(book_payload(), agency.signer)
    revoked = RevocationList()
    revoked.revoke("001090001234", 3, "suspected fraud")
    past = datetime.now(UTC) - timedelta(days=30)
    lists = [RevocationList(freshness=[Freshness("civil", "f.json", past, past)]),
             RevocationList(freshness=[Freshness("civil", "f.json", past)]),
             RevocationList(freshness=[Freshness("civil", "f.json")]),
             RevocationList(freshness=[Freshness("defence", "f.json", past, past)]),
             None]
    for data in (b"", b"\xff\xfe\x00garbage", b"hello", (PREFIX + "A" * 5000).encode(),
                 (PREFIX + "AB").encode(), book[:-3].encode(),
                 sign_qr(CARD, agency.signer).encode(), sign_qr(book_payload(), expired.signer
                                                                ).encode(),
                 _cose({1: -35, 4: agency.signer.key_id}).encode(),
                 _cose({1: -7, 4: agency.signer.key_id}).encode(),
                 sign_qr(book_payload(), agency.signer,
                         issued_at=datetime(2000, 1, 1, tzinfo=UTC)).encode(),
                 sign_qr(book_payload(), agency.signer,
                         issued_at=datetime.now(UTC) + timedelta(days=1)).encode(),
                 sign_qr({**book_payload(), "realm": "defence"}, agency.signer).encode(),
                 sign_qr({k: v for k, v in book_payload().items() if k != "realm"},
                         agency.signer).encode()):
        yield verify(data, trust_list=trust).errors
    yield verify(sign_qr({"name": "x"}, agency.signer).encode(), trust_list=trust,
                 status=revoked).errors
    yield verify(book.encode(), trust_list=trust, status=revoked).errors
    for status in lists:
        result = verify(book.encode(), trust_list=trust, status=status)
        yield result.warnings
        yield verify(book.encode(), trust_list=trust, status=status, strict=True).errors
    today = date(2026, 6, 1)
    yield verify_card(b"\xff\xfe", trust_list=trust, on=today).errors
    for picture in (PNG, JPEG):
        yield verify(picture, trust_list=trust).errors
        yield verify_card(picture, trust_list=trust, on=today).errors
    yield verify_card(tiny_pdf(), trust_list=trust, on=today).errors
    yield verify_card(book.encode(), trust_list=trust, on=today).errors
    yield verify_card(sign_qr(CARD, agency.signer).encode(), trust_list=trust,
                      on=date(2027, 1, 1)).errors


# What the API answers before any check (sibook.book.api.verify, verify_hi_card).
API_REASONS = [f"upload larger than {MAX_INPUT} bytes: not a book",
               f"cannot verify: {KEYS_NOT_READY}",
               "cannot verify: the agency's revocation list of the civil realm cannot be read "
               "or was altered; try again later"]
# What no input made here reaches (a damaged /Info or certificate pyHanko reads lazily).
UNREACHED = ["the book metadata (/Info) cannot be read: bad",
             "the signature's data is damaged outside what it signs"]


def test_every_reason_of_the_checks_is_said_in_vietnamese(agency: Agency,
                                                          expired: Agency) -> None:
    reasons = [r for said in (*_pdf_reasons(agency, expired), *_qr_reasons(agency, expired))
               for r in said] + API_REASONS + UNREACHED
    untold = sorted({r for r in reasons if check_vi(r) == OTHER_VI})
    assert untold == []
    # Each of the page's openings was met, so none of them is left over untested, and each
    # reason of the PDF and the QR was told by what it is, not by a catch-all.
    met = {check_vi(r) for r in reasons}
    assert {vi for _, vi in CHECK_VI} | {DAMAGED_QR_VI} <= met
    assert not any(re.search(r"asn1crypto|does not appear to be", r) for r in reasons)

