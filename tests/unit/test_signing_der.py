"""The linear DER re-encoder gives, to the byte, what asn1crypto's ``dump(force=True)`` gives:
on a book's real signature, and on BER that DER would encode otherwise."""

from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import cms, x509  # type: ignore[import-untyped]
from pyhanko.pdf_utils.reader import PdfFileReader

from sibook.signing.der import der
from sibook.signing.pades import sign_pdf
from tests.unit.test_signing_support import book_payload, make_agency, tiny_pdf


@pytest.fixture(scope="module")
def signature_der(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    agency = make_agency(tmp_path_factory.mktemp("keys"))
    pdf = sign_pdf(tiny_pdf(), agency.signer, book=book_payload())
    (embedded,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    raw = bytes(embedded.pkcs7_content)
    return raw[:len(cms.ContentInfo.load(raw, strict=False).dump())]  # without the zero padding


def test_a_book_signature_is_re_encoded_as_asn1crypto_re_encodes_it(signature_der: bytes) -> None:
    assert der(cms.ContentInfo.load(signature_der)) == signature_der
    assert cms.ContentInfo.load(signature_der).dump(force=True) == signature_der


def test_a_set_of_out_of_order_is_sorted_as_der_sorts_it(signature_der: bytes) -> None:
    info = cms.ContentInfo.load(signature_der)
    first, second = (c.dump() for c in info["content"]["certificates"])
    assert first != second
    swapped = signature_der.replace(first + second, second + first)
    assert swapped != signature_der  # the same length, no longer DER (a SET OF is sorted)
    expected = cms.ContentInfo.load(swapped).dump(force=True)
    assert der(cms.ContentInfo.load(swapped)) == expected == signature_der


def test_a_long_form_length_is_made_short(signature_der: bytes) -> None:
    # The outer SEQUENCE's length in one more byte than it needs: BER, not DER.
    assert signature_der[1] == 0x82
    padded = signature_der[:1] + b"\x83\x00" + signature_der[2:]
    assert der(cms.ContentInfo.load(padded)) == signature_der
    assert cms.ContentInfo.load(padded).dump(force=True) == signature_der


def test_a_field_written_at_its_default_is_left_out() -> None:
    # BasicConstraints with cA FALSE written out: DER leaves a DEFAULT value out.
    written = bytes.fromhex("3003010100")
    assert der(x509.BasicConstraints.load(written)) == bytes.fromhex("3000")
    assert x509.BasicConstraints.load(written).dump(force=True) == bytes.fromhex("3000")
