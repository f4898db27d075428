"""``verify``: one answer in the contract's shape for a book PDF or QR text, never an exception."""

from __future__ import annotations

import json
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from sibook.core.errors import ValidationError
from sibook.signing._base45 import b45decode, b45encode
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import PREFIX, sign_qr
from sibook.signing.status import REVOCATIONS_FILE, RevocationList
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import verify
from tests.unit.test_signing_support import Agency, book_payload, make_agency, tiny_pdf


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Agency:
    return make_agency(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed_pdf(agency: Agency) -> bytes:
    return sign_pdf(tiny_pdf(), agency.signer, book=book_payload())


def test_valid_pdf_answers_in_the_contract_shape(agency: Agency, signed_pdf: bytes) -> None:
    result = verify(signed_pdf, trust_list=agency.trust_list, status=RevocationList())
    assert result.as_dict() == {
        "valid": True, "personal_id": "001090001234", "version": 3,
        "signer": "Vietnam Social Security civil issuer 1", "errors": []}


def test_valid_qr_text_file_answers_in_the_contract_shape(agency: Agency) -> None:
    data = (sign_qr(book_payload(), agency.signer) + "\n").encode()
    result = verify(data, trust_list=agency.trust_list)
    assert (result.valid, result.kind, result.personal_id, result.version) == (
        True, "qr", "001090001234", 3)


def test_qr_text_saved_with_a_byte_order_mark_verifies(agency: Agency) -> None:
    """Notepad and other editors start a UTF-8 file with a BOM: it is no part of the text, and
    a genuine QR so saved is not refused for a prefix it visibly has."""
    from datetime import date

    from sibook.signing.card import verify_card

    bom = "\ufeff".encode()
    data = bom + (sign_qr(book_payload(), agency.signer) + "\r\n").encode()
    assert verify(data, trust_list=agency.trust_list).valid
    card = {**book_payload(), "card_number": "GD4797931234567", "benefit_level": 4,
            "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    answer = verify_card(bom + sign_qr(card, agency.signer).encode(),
                         trust_list=agency.trust_list, on=date(2026, 6, 1))
    assert answer.valid, answer.errors


def test_a_qr_text_holding_the_letters_of_a_pdf_header_is_read_as_qr_text(
        agency: Agency) -> None:
    """Base45 has the letters of "%PDF-": about one QR in 200,000 holds them within its first
    KiB, where a PDF's header may lie, and was checked as a PDF ("not a readable PDF"). Here
    placed on purpose: the signed message as the signer made it, its zlib stream stored
    uncompressed, so the payload's bytes b"k`Nu" are base45's "%PDF-9"."""
    for pad in ("", "x"):  # base45 takes bytes two by two: one of these lands on a pair
        sign1 = zlib.decompress(b45decode(sign_qr(
            {**book_payload(), "name": pad + "k`Nu"}, agency.signer)[len(PREFIX):]))
        text = PREFIX + b45encode(zlib.compress(sign1, 0)).decode("ascii")
        if "%PDF-" in text[:1024]:
            break
    assert "%PDF-" in text[:1024]
    result = verify((text + "\n").encode(), trust_list=agency.trust_list)
    assert (result.valid, result.kind, result.errors) == (True, "qr", [])


def test_hi_card_qr_is_not_a_valid_book(agency: Agency) -> None:
    card = {**book_payload(), "card_number": "GD4797931234567", "benefit_level": 4,
            "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    del card["totals"]
    result = verify(sign_qr(card, agency.signer).encode(), trust_list=agency.trust_list)
    assert result.as_dict() == {
        "valid": False, "personal_id": "001090001234", "version": 3,
        "signer": "Vietnam Social Security civil issuer 1",
        "errors": ["this is an HI card's QR, not a book's"]}


def test_hi_card_qr_is_not_said_revoked_with_the_book_version_it_was_made_from(
        agency: Agency) -> None:
    """A card stands while its book version is revoked (signing.card): a card's QR given as a
    book's was answered "revoked: version 3 of book ...", which a hospital's clerk reads as a
    revoked card, and which told whoever holds the card of a suspicion about the book."""
    card = {**book_payload(), "card_number": "GD4797931234567", "benefit_level": 4,
            "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "suspected fraud")
    result = verify(sign_qr(card, agency.signer).encode(), trust_list=agency.trust_list,
                    status=revocations)
    assert result.errors == ["this is an HI card's QR, not a book's"]


def test_revoked_pdf_version_is_invalid_with_revoked_reason(agency: Agency,
                                                            signed_pdf: bytes) -> None:
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "suspected fraud")
    result = verify(signed_pdf, trust_list=agency.trust_list, status=revocations)
    assert not result.valid
    assert result.errors == ["revoked: version 3 of book 001090001234: suspected fraud"]


def test_signed_pdf_without_book_metadata_is_not_a_book(agency: Agency) -> None:
    result = verify(sign_pdf(tiny_pdf(), agency.signer), trust_list=agency.trust_list)
    assert result.errors == ["the PDF carries no /SIBook metadata: not a book"]


def test_flipped_byte_in_the_signature_value_is_invalid(agency: Agency,
                                                        signed_pdf: bytes) -> None:
    (embedded,) = PdfFileReader(BytesIO(signed_pdf)).embedded_signatures
    value = embedded.signer_info["signature"].native.hex().encode()
    start = signed_pdf.lower().index(value) + len(value) // 2
    tampered = bytearray(signed_pdf)
    tampered[start] = ord("0") if tampered[start] != ord("0") else ord("1")
    result = verify(bytes(tampered), trust_list=agency.trust_list)
    assert result.errors == ["bad signature: the signature value does not verify"]
    # A signature that fails names no book, as a QR's does: anyone can write /SIBook.
    assert (result.personal_id, result.version) == (None, None)


@pytest.mark.parametrize(("data", "reason"), [
    (b"\xff\xfe\x00garbage", "not a PDF and not QR text"),
    (b"hello world", "bad prefix"),
    (b"", "empty input"),
    (b"%PDF-", "not a readable PDF"),
])
def test_garbage_gives_errors_not_exceptions(agency: Agency, data: bytes, reason: str) -> None:
    result = verify(data, trust_list=agency.trust_list)
    assert result.as_dict()["valid"] is False and result.errors[0].startswith(reason)


def test_revocation_list_round_trips_through_its_signed_file(agency: Agency) -> None:
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "nghi ngờ gian lận (suspected fraud)")
    path = agency.keys_dir / REVOCATIONS_FILE
    revocations.save(path, agency.signer)
    loaded = RevocationList.load(path, agency.trust_list)
    assert loaded.is_revoked("001090001234", 3) == "nghi ngờ gian lận (suspected fraud)"
    assert loaded.is_revoked("001090001234", 4) is None


def test_edited_revocation_file_is_refused(agency: Agency, tmp_path: Path) -> None:
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "suspected fraud")
    path = tmp_path / REVOCATIONS_FILE
    revocations.save(path, agency.signer)
    signed = json.loads(path.read_text(encoding="utf-8"))
    signed["entries"] = []
    path.write_text(json.dumps(signed), encoding="utf-8")
    with pytest.raises(ValidationError, match="bad signature"):
        RevocationList.load(path, agency.trust_list)


def test_lifting_a_temporary_revocation_makes_the_version_valid_again(
        agency: Agency, signed_pdf: bytes) -> None:
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "suspected fraud")
    assert revocations.reinstate("001090001234", 3)
    assert verify(signed_pdf, trust_list=agency.trust_list, status=revocations).valid


def test_missing_revocation_file_means_nothing_is_revoked(agency: Agency,
                                                          tmp_path: Path) -> None:
    assert RevocationList.load(tmp_path / "none.json", agency.trust_list).entries == []


class _RemoteSigner:
    """Stands in for an HSM: holds no key object the libraries could reach, only ``sign``."""

    def __init__(self, inner: Agency) -> None:
        self._inner = inner.signer
        self.certificate = inner.signer.certificate
        self.chain = inner.signer.chain
        self.key_id = inner.signer.key_id
        self.calls = 0

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        return self._inner.sign(data)


def test_any_signer_protocol_implementation_signs_qr_and_pdf(agency: Agency) -> None:
    remote = _RemoteSigner(agency)
    qr_ok = verify(sign_qr(book_payload(), remote).encode(), trust_list=agency.trust_list)
    pdf_ok = verify(sign_pdf(tiny_pdf(), remote, book=book_payload()),
                    trust_list=agency.trust_list)
    assert qr_ok.valid and pdf_ok.valid and remote.calls == 2


@pytest.mark.parametrize(("pem", "says"), [
    (b"", "holds no -----BEGIN CERTIFICATE----- block"),
    (b"hello world\n", "holds no -----BEGIN CERTIFICATE----- block"),
    (b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "is damaged"),
    (b"-----BEGIN CERTIFICATE-----\nMANhYmM=\n-----END CERTIFICATE-----\n", "is damaged"),
])
def test_a_trust_list_that_is_no_pem_is_refused_in_plain_words(pem: bytes, says: str) -> None:
    """``book verify --trust-list FILE`` naming the wrong file was told cryptography's words:
    "Unable to load PEM file. See https://cryptography.io/... MalformedFraming"."""
    with pytest.raises(ValidationError) as refused:
        TrustList.from_pem(pem)
    (problem,) = refused.value.problems
    assert problem.field == "trust list" and says in problem.reason
    assert "http" not in problem.reason and "Malformed" not in problem.reason
    assert "ParseError" not in problem.reason and "InvalidData" not in problem.reason


@pytest.mark.parametrize("data", [b"", b" \r\n\t", "\ufeff".encode()])
def test_an_empty_input_is_said_to_be_empty(agency: Agency, data: bytes) -> None:
    result = verify(data, trust_list=agency.trust_list)
    assert not result.valid
    assert result.errors == [
        "empty input: nothing to verify (give a book's PDF or the text of its QR)"]
